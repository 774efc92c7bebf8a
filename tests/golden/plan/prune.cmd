slctl diff --prune --allow-prune-all -f inputs/prune --observed inputs/prune.observed.json --state-dir inputs/prune-state --set default
