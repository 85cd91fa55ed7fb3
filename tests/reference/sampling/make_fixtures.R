# Reference numbers for commeval.sampling from R's `sampling` package (Tillé & Matei):
#   inclusionprobabilities(a, n)  certainty units set to 1, the rest rescaled, iterated
#   UPsystematic(pik)             systematic PPS; the random start u is the first runif(1)
#                                 after set.seed(seed), recorded with the selection
#   UPsystematicpi2(pik)          joint inclusion probabilities of systematic PPS
#   UPbrewer(pik)                 Brewer's method; the n uniforms are runif(n) after
#                                 set.seed(seed), recorded with the selection
# Run from the repository root:  Rscript tests/reference/sampling/make_fixtures.R
# Writes fixtures.csv (case, quantity, i, j, value): i, j are 1-based unit indices.
suppressMessages(library(sampling))
outdir <- "tests/reference/sampling"
rows <- list()
add <- function(case, quantity, value, i = seq_along(value), j = 0) {
  rows[[length(rows) + 1]] <<- data.frame(
    case = case, quantity = quantity, i = i, j = j, value = as.numeric(value)
  )
}
# village sizes (households) of a township: two large villages become certainty units
sizes <- list(
  villages = c(420, 1310, 560, 2950, 880, 640, 3400, 510, 760, 930, 450, 1220, 700, 390, 610),
  small = c(12, 30, 5, 40, 18, 9, 25, 60, 7, 14),
  flat = c(100, 100, 100, 100, 100, 100)
)
ns <- list(villages = 6, small = 4, flat = 2)
for (case in names(sizes)) {
  a <- sizes[[case]]
  n <- ns[[case]]
  add(case, "size", a)
  add(case, "n", n, i = 0)
  pik <- inclusionprobabilities(a, n)
  add(case, "pik", pik)
  pi2 <- UPsystematicpi2(pik)
  N <- length(pik)
  add(case, "pi2", as.vector(pi2), i = rep(1:N, times = N), j = rep(1:N, each = N))
  for (seed in c(1, 2, 3, 20121, 777)) {
    set.seed(seed)
    u <- runif(1)
    set.seed(seed)
    s <- UPsystematic(pik)
    add(paste0(case, "/sys/", seed), "u", u, i = 0)
    add(paste0(case, "/sys/", seed), "s", s)
    nb <- round(sum(pik[pik > 1e-6 & pik < 1 - 1e-6]))
    set.seed(seed)
    uu <- runif(nb)
    set.seed(seed)
    sb <- UPbrewer(pik)
    add(paste0(case, "/brewer/", seed), "u", uu)
    add(paste0(case, "/brewer/", seed), "s", sb)
  }
}
out <- do.call(rbind, rows)
write.csv(out, file.path(outdir, "fixtures.csv"), row.names = FALSE)
