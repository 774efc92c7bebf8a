slctl diff --prune -f inputs/prune --observed inputs/prune.observed.json --state-dir inputs/prune-state --set default
