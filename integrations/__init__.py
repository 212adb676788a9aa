"""Built-in integrations (``autolog.integrations.<framework>``), each a pluggy plugin."""
