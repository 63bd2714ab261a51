"""Reading Python syntax without running it: calls, literals, imports, constants, boundedness.

Every check asks these questions of ast-grep nodes; they are answered once, here.
"""
