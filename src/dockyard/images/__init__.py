"""Images: references, the image store, and image operations (ls, inspect, tag, rm, ...)."""
