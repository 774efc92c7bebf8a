SLCTL_FILES= slctl diff
