"""Built-in tracking backends (``autolog.backends.<name>``), each a pluggy plugin."""
