"""How telemetry reaches the plugin: providers attached to or installed, processors, readers."""
