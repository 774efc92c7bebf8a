slctl diff -f inputs/prune --observed inputs/prune.observed.json --state-dir inputs/prune-state --set default
