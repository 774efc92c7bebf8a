slctl diff --help
