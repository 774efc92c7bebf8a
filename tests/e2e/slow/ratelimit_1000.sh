#!/usr/bin/env bash
# Slow (about 2 minutes): tests/e2e/ratelimit.sh's parts (a) and (b), at the same time, with
# 1,000 links, the issue's figure. At 20 reads a second one observation of every link (2
# reads each) alone takes 100 s.
RL_LINKS=1000 RL_PARTS=ab exec bash "$(dirname "$0")/../ratelimit.sh"
