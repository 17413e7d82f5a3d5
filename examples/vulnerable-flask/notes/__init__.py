"""Notes storage for the demo application."""
