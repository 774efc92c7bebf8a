slctl version --help
