slctl diff -f inputs/loop --observed inputs/loop.observed.json --state-dir inputs/no-state
