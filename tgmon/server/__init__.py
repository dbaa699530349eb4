"""`tgmon serve`: the bounded HTTP engine (protocol only) and the exporter app."""
