slctl resume --help
