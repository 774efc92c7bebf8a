slctl pause --help
