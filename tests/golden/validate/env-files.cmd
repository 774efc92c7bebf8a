SLCTL_FILES=active-passive/registries.yaml:active-passive/links.yaml slctl validate
