"""DNS provider adapters behind one interface."""
