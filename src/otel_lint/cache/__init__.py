"""The one store behind every cache (``store``), the keys of its entries, and what is kept in it:
file results, the compiled rules, and its upkeep. Each module sits just above what it remembers."""
