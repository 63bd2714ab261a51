"""The project being checked: which files, how a file's bytes become text, and the project facts
(instrumentations installed, log bridges, deployment settings) that cross-file rules depend on."""
