slctl frobnicate
