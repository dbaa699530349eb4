"""What a node's update state is: the model, the rules' numbers and weekly clock,
the status.json schema, the state dir's layout, freshness, and the examples."""
