slctl diff -f inputs/update --observed inputs/update.observed.json --state-dir inputs/no-state
