slctl diff -f inputs/update-narrowed --observed inputs/update-narrowed.observed.json --state-dir inputs/owned-state --set default
