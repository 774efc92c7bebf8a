slctl diff -f inputs/update --observed inputs/update.observed.json --state-dir inputs/owned-state --set default
