slctl diff -o yaml -f inputs/create --observed inputs/create.observed.json --state-dir inputs/no-state
