# Reference numbers for svyquantile's "score" interval (Taylor designs, ffullerCI), its
# "quantile" interval (replicate designs, repCI), the default Woodruff interval in domains
# (every qrule) and the points R's uniroot evaluates; R 4.2.2 with survey 4.1.1 (Debian).
# Run from the repository root:  Rscript tests/reference/survey/make_fixtures_quantile.R
# Reads the datasets beside this script and writes fixtures_quantile.csv, a long table
# (case, variable, domain, level, quantity, value) read by tests/survey/test_quantile_score.py.
# A domain is R's svyby subset, design[rows of the domain, ]; an interval R cannot compute
# (uniroot: "f() values at end points not of opposite sign", or no answered rows) is NA.
suppressMessages(library(survey))
outdir <- "tests/reference/survey"
options(survey.lonely.psu = "fail")
rows <- list()
add <- function(case, quantity, value, variable = "", domain = "", level = "") {
  rows[[length(rows) + 1]] <<- data.frame(
    case = case, variable = variable, domain = as.character(domain),
    level = as.character(level), quantity = quantity, value = as.numeric(value)
  )
}
PROBS <- c(0.1, 0.25, 0.5, 0.9)

# svyquantile of one variable on one (domain) design, one probability at a time; the interval
# is NA where R stops with an error (the estimate then from ci = FALSE)
add_q <- function(case, design, v, domain = "", probs = PROBS, ...) {
  f <- as.formula(paste0("~", v))
  for (p in probs) {
    q <- tryCatch(
      suppressWarnings(suppressMessages(
        svyquantile(f, design, p, ci = TRUE, na.rm = TRUE, ...)[[1]][1, 1:4]
      )),
      error = function(e) {
        message(case, " ", v, " ", domain, " ", p, ": ", conditionMessage(e))
        est <- tryCatch(svyquantile(f, design, p, ci = FALSE, na.rm = TRUE, ...)[[1]][1],
                        error = function(e) NA)
        c(est, NA, NA, NA)
      }
    )
    for (j in 1:4) add(case, c("estimate", "ci_low", "ci_high", "se")[j], q[j], v, domain, p)
  }
}
# overall and in each domain of `by` (R's svyby: the design's rows of the domain)
add_by <- function(case, design, data, v, by = NULL, ...) {
  add_q(case, design, v, ...)
  if (!is.null(by)) {
    for (lev in sort(unique(data[[by]]))) {
      add_q(case, design[data[[by]] == lev, ], v, domain = lev, ...)
    }
  }
}

apistrat <- read.csv(file.path(outdir, "apistrat.csv"))
apiclus1 <- read.csv(file.path(outdir, "apiclus1.csv"))
nhanes <- read.csv(file.path(outdir, "nhanes.csv"))
mu284 <- read.csv(file.path(outdir, "mu284.csv"))
scd <- read.csv(file.path(outdir, "scd.csv"))

dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)

# svyby gives the same SEs as the domain designs used below
b <- svyby(~api00, ~stype, dstrat, svyquantile, quantiles = 0.5, ci = TRUE,
           interval.type = "score")
for (lev in c("E", "H", "M")) {
  q <- svyquantile(~api00, dstrat[apistrat$stype == lev, ], 0.5, ci = TRUE,
                   interval.type = "score")[[1]]
  stopifnot(isTRUE(all.equal(unname(SE(b)[b$stype == lev]), unname(q[1, 4]))))
}

# ---------------------------------------------------------------- score, Taylor designs
for (qr in c("math", "school")) {
  for (v in c("api00", "enroll")) {
    add_by(paste0("strat:score_", qr), dstrat, apistrat, v, "stype", interval.type = "score",
           qrule = qr)
  }
  for (v in c("api00", "enroll", "ell")) {
    add_by(paste0("clus1:score_", qr), dclus1, apiclus1, v, "stype", interval.type = "score",
           qrule = qr)
  }
}
add_q("strat:score_math_90", dstrat, "api00", interval.type = "score", alpha = 0.1)
# a variable with missing values (only elementary schools answer acs.k3)
add_by("strat:score_math", dstrat, apistrat, "acs.k3", "stype", interval.type = "score")

# calibrated: R keeps every row when it subsets (domains, na.rm), a missing x counts as 0
ps <- postStratify(dstrat, ~sch.wide, data.frame(sch.wide = c("No", "Yes"), Freq = c(1072, 5122)))
add_by("strat_ps:score_math", ps, apistrat, "api00", "stype", interval.type = "score")
add_by("strat_ps:score_math", ps, apistrat, "acs.k3", "stype", interval.type = "score")

# nhanes: stratified clusters, unequal weights; HI_CHOL (0/1, missing values) has no score
# interval in R (no change of sign); wt_na = WTMEC2YR / 1000, missing where HI_CHOL is
nhanes$wt_na <- ifelse(is.na(nhanes$HI_CHOL), NA, nhanes$WTMEC2YR / 1000)
nh <- svydesign(id = ~SDMVPSU, strata = ~SDMVSTRA, weights = ~WTMEC2YR, nest = TRUE,
                data = nhanes)
add_by("nh:score_math", nh, nhanes, "HI_CHOL", interval.type = "score", probs = c(0.5, 0.9))
add_by("nh:score_math", nh, nhanes, "wt_na", "race", interval.type = "score")

# mu284: two stages, FPC at both
mu <- svydesign(id = ~id1 + id2, fpc = ~n1 + n2, data = mu284)
add_q("mu:score_math", mu, "y1", interval.type = "score")

# ---------------------------------------------------------------- Woodruff ("mean") in domains
# every rule, domains of school type and of sch.wide (case "<design>:mean_<rule>@<by>")
for (qr in c("math", "school", paste0("hf", 1:9))) {
  for (dd in list(list("strat", dstrat, apistrat, "api00"), list("clus1", dclus1, apiclus1, "enroll"))) {
    for (by in c("stype", "sch.wide")) {
      for (lev in sort(unique(dd[[3]][[by]]))) {
        add_q(paste0(dd[[1]], ":mean_", qr, "@", by), dd[[2]][dd[[3]][[by]] == lev, ], dd[[4]],
              domain = lev, probs = c(0.05, 0.1, 0.25, 0.5, 0.75, 0.9), qrule = qr)
      }
    }
  }
}

# ---------------------------------------------------------------- quantile, replicate designs
sjkn <- as.svrepdesign(dstrat, type = "JKn")
# R has no JK1 on a stratified design: apistrat as an unstratified sample with its weights
sjk1 <- as.svrepdesign(svydesign(id = ~1, weights = ~pw, data = apistrat), type = "JK1")
cjk1 <- as.svrepdesign(dclus1, type = "JK1")
for (qr in c("math", "school")) {
  for (v in c("api00", "enroll")) {
    add_by(paste0("strat_jkn:quantile_", qr), sjkn, apistrat, v, "stype",
           interval.type = "quantile", qrule = qr)
    add_by(paste0("strat_jk1:quantile_", qr), sjk1, apistrat, v, "stype",
           interval.type = "quantile", qrule = qr)
  }
}
add_by("strat_jkn:quantile_math", sjkn, apistrat, "acs.k3", interval.type = "quantile")
# Woodruff on a replicate design, na.rm: t on degf of the answered rows (96, not 197)
add_by("strat_jkn:mean_math", sjkn, apistrat, "acs.k3")
add_by("clus1_jk1:quantile_math", cjk1, apiclus1, "api00", "stype", interval.type = "quantile")

# supplied replicate weights (scd.csv holds the matrices of make_fixtures_more.R)
rw <- function(p, k) as.matrix(scd[, paste0(p, 1:k)])
reps <- list(
  scd_brr = svrepdesign(data = scd, type = "BRR", repweights = rw("brr", 4),
                        combined.weights = FALSE),
  scd_jkn = svrepdesign(data = scd, type = "JKn", repweights = rw("jn", 6),
                        combined.weights = FALSE, rscales = rep(0.5, 6)),
  scd_brr_mse = svrepdesign(data = scd, type = "BRR", repweights = rw("brr", 4),
                            combined.weights = FALSE, mse = TRUE),
  scd_other = svrepdesign(data = scd, type = "other", repweights = rw("jk", 6),
                          combined.weights = FALSE, scale = 0.7, rscales = c(1, 1, 2, 2, 1, 1))
)
for (nm in names(reps)) {
  for (v in c("alive", "arrests")) {
    add_q(paste0(nm, ":quantile_math"), reps[[nm]], v, probs = c(0.25, 0.5, 0.75),
          interval.type = "quantile")
  }
}

# ---------------------------------------------------------------- uniroot's iterates
# every point uniroot evaluates (the ends first; R evaluates the root once more at the end)
for (tc in list(list("uniroot:cos", function(x) cos(x) - 0.3, c(0, 3), 1e-3),
                list("uniroot:step", function(x) floor(3 * x) / 3 - 1.1, c(0, 2.5), 0.01))) {
  at <- c()
  r <- uniroot(function(x) { at <<- c(at, x); tc[[2]](x) }, tc[[3]], tol = tc[[4]])
  add(tc[[1]], "root", r$root)
  add(tc[[1]], "x", head(at, -1), level = seq_len(length(at) - 1))
}

res <- do.call(rbind, rows)
write.csv(res, file.path(outdir, "fixtures_quantile.csv"), row.names = FALSE)
cat("wrote", nrow(res), "reference values,", sum(is.na(res$value)), "NA\n")
