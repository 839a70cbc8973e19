"""One module per runtime verb: parse that verb's flags, call the runtime, print."""
