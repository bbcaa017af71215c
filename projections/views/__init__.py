"""One module per view. ``ALL`` lists them in the order they are processed."""
