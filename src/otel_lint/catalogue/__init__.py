"""The rules: their YAML files (package data in ``rules/``), the model that validates them, the form
the engine runs, and which codes a selection names."""
