slctl
