"""The appliance side: `tgmon state`, the node's own writer of its state dir."""
