{ cat active-passive/registries.yaml; echo ---; cat active-passive/links.yaml; } | slctl validate -f -
