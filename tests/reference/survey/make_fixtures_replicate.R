# Reference numbers from R's survey package (Debian r-cran-survey 4.1.1) for three R-parity
# topics, read by tests/survey/test_replicate_parity.py:
#   svyvar on replicate designs     svyvar.svyrep.design: each replicate's weighted variance
#                                   around its own mean (as.svrepdesign JKn/JK1, supplied
#                                   BRR/Fay/JK1/JKn weights, nhanes JKn with missing values)
#   svyranktest on replicates       two groups: R's svyranktest.svyrep.design; more groups:
#                                   R 4.1.1 stops (recorded as "error"), so the statistic is
#                                   computed here by the formula of survey >= 4.2 (the
#                                   replicate covariance of the full-sample influence
#                                   functions of the rank-score regression), checked against
#                                   R's own output where R 4.1.1 has one
#   stage-2 singletons, "average"   mu284 with a PSU of one sampled SSU: NaN / numbers
# Run from the repository root:  Rscript tests/reference/survey/make_fixtures_replicate.R
# Uses the datasets written by make_fixtures.R / make_fixtures_more.R; writes only
# fixtures_replicate.csv (long: case, variable, domain, level, quantity, value).
suppressMessages(library(survey))
outdir <- "tests/reference/survey"
options(survey.lonely.psu = "fail")
rows <- list()
add <- function(case, quantity, value, variable = "", domain = "", level = "") {
  value <- as.numeric(value)
  rows[[length(rows) + 1]] <<- data.frame(
    case = case, variable = variable, domain = as.character(domain),
    level = as.character(level), quantity = quantity, value = value
  )
}
rd <- function(name) read.csv(file.path(outdir, name))

apistrat <- rd("apistrat.csv")
apiclus1 <- rd("apiclus1.csv")
scd <- rd("scd.csv")
nhanes <- rd("nhanes.csv")

# ---------------------------------------------------------------- svyvar on replicate designs
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
dclus1 <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)
nh <- svydesign(id = ~SDMVPSU, strata = ~SDMVSTRA, weights = ~WTMEC2YR, nest = TRUE,
                data = nhanes)
cols <- function(p, k) as.matrix(scd[, paste0(p, 1:k)])
reps <- list(
  strat_jkn = as.svrepdesign(dstrat, type = "JKn"),
  strat_jk1 = as.svrepdesign(svydesign(id = ~1, weights = ~pw, data = apistrat), type = "JK1"),
  clus1_jk1 = as.svrepdesign(dclus1, type = "JK1"),
  nh_jkn = as.svrepdesign(nh, type = "JKn"),
  scd_brr = svrepdesign(data = scd, type = "BRR", repweights = cols("brr", 4),
                        combined.weights = FALSE),
  scd_fay = svrepdesign(data = scd, type = "Fay", rho = 0.3, repweights = cols("fay", 4),
                        combined.weights = FALSE),
  scd_jk1 = svrepdesign(data = scd, type = "JK1", repweights = cols("jk", 6),
                        combined.weights = FALSE),
  scd_jkn = svrepdesign(data = scd, type = "JKn", repweights = cols("jn", 6),
                        combined.weights = FALSE, rscales = rep(0.5, 6)),
  scd_brr_mse = svrepdesign(data = scd, type = "BRR", repweights = cols("brr", 4),
                            combined.weights = FALSE, mse = TRUE)
)
plan <- list(
  strat_jkn = list(c("api00", "enroll"), "stype"),
  strat_jk1 = list(c("api00", "enroll"), "stype"),
  clus1_jk1 = list(c("api00", "enroll", "avg.ed"), "stype"),
  nh_jkn = list(c("HI_CHOL", "chol_gap"), "race"),
  scd_brr = list(c("alive", "arrests"), "ambulance"),
  scd_fay = list(c("alive", "arrests"), "ambulance"),
  scd_jk1 = list(c("alive", "arrests"), "ambulance"),
  scd_jkn = list(c("alive", "arrests"), "ambulance"),
  scd_brr_mse = list(c("alive", "arrests"), "ambulance")
)
# R 4.1.1's confint() returns no interval for svrepvar (its vcov has no names): the normal
# interval of confint.default, estimate -/+ qnorm(0.975) SE, is written instead
add_var <- function(cs, v, variable, domain = "") {
  add(cs, "estimate", coef(v), variable, domain)
  add(cs, "se", SE(v), variable, domain)
  add(cs, "ci_low", coef(v) - qnorm(0.975) * SE(v), variable, domain)
  add(cs, "ci_high", coef(v) + qnorm(0.975) * SE(v), variable, domain)
}
for (nm in names(reps)) {
  d <- reps[[nm]]
  for (v in plan[[nm]][[1]]) {
    f <- as.formula(paste0("~", v))
    add_var(paste0(nm, ":var"), svyvar(f, d, na.rm = TRUE), v)
    b <- svyby(f, as.formula(paste0("~", plan[[nm]][[2]])), d, svyvar, na.rm = TRUE)
    add(paste0(nm, ":varby"), "estimate", coef(b), v, b[[1]])
    add(paste0(nm, ":varby"), "se", SE(b), v, b[[1]])
  }
}
# a domain by subset(); two variables at once (R's covariance matrix: its diagonal)
add_var("strat_jkn:var_subset", svyvar(~api00, subset(reps$strat_jkn, sch.wide == "Yes")),
        "api00")
vv <- svyvar(~api00 + enroll, reps$strat_jkn)
add("strat_jkn:var_joint", "estimate", diag(as.matrix(vv)), c("api00", "enroll"))
add("strat_jkn:var_joint", "se", sqrt(diag(matrix(attr(vv, "var"), 4, 4)))[c(1, 4)],
    c("api00", "enroll"))

# ---------------------------------------------------------------- svyranktest on replicates
rank_score <- function(y, w, test) {
  N <- sum(w)
  o <- order(y)
  r <- numeric(length(y))
  r[o] <- ave(cumsum(w[o]) - w[o] / 2, factor(y[o]))  # mid-ranks, ties averaged
  switch(test, wilcoxon = , KruskalWallis = r / N, vanderWaerden = qnorm(r / N),
         median = as.numeric(r > N / 2))
}
# Wald test of the group terms of the weighted regression of the rank score on the groups,
# the coefficients' covariance being the design covariance (svytotal) of their influence
# functions: survey >= 4.2's svyranktest for more than two groups on any design
multi_rank <- function(formula, design, test) {
  mf <- model.frame(formula, model.frame(design), na.action = na.omit)
  if (!is.null(naa <- attr(mf, "na.action"))) design <- design[-naa, ]
  y <- mf[, 1]
  g <- factor(mf[, 2])
  w <- weights(design, "sampling")
  s <- rank_score(y, w, test)
  X <- model.matrix(~g)
  fit <- lm.wfit(X, s, w)
  A <- solve(crossprod(X * sqrt(w)))
  infl <- (X * fit$residuals) %*% A
  V <- vcov(svytotal(infl, design))
  k <- ncol(X)
  b <- fit$coefficients[-1]
  chisq <- drop(b %*% solve(V[-1, -1, drop = FALSE], b))
  ndf <- k - 1
  ddf <- degf(design) - ndf
  list(chisq = chisq, ndf = ndf, ddf = ddf,
       p = pf(chisq / ndf, ndf, ddf, lower.tail = FALSE), b = b, V = V)
}
# the formula reproduces R 4.1.1 where R has an answer: more groups on Taylor designs, and
# two groups on replicate designs (R's t = coefficient / SE, the same covariance)
for (tst in c("wilcoxon", "vanderWaerden", "median")) {
  for (cmp in list(list(api00 ~ stype, dstrat), list(ell ~ stype, dclus1))) {
    x <- svyranktest(cmp[[1]], cmp[[2]], test = tst)
    m <- multi_rank(cmp[[1]], cmp[[2]], tst)
    stopifnot(isTRUE(all.equal(unname(x$parameter[1]), m$chisq, tolerance = 1e-10)),
              x$ddf == m$ddf)
  }
  for (cmp in list(list(api00 ~ sch.wide, reps$strat_jkn), list(ell ~ comp.imp, reps$clus1_jk1))) {
    x <- svyranktest(cmp[[1]], cmp[[2]], test = tst)
    m <- multi_rank(cmp[[1]], cmp[[2]], tst)
    stopifnot(isTRUE(all.equal(unname(x$statistic), unname(m$b / sqrt(m$V[2, 2])),
                               tolerance = 1e-10)))
  }
}
s_yes <- subset(reps$strat_jkn, stype != "E")
cases <- list(
  list("strat_jkn", reps$strat_jkn, api00 ~ sch.wide),
  list("strat_jkn3", reps$strat_jkn, api00 ~ stype),
  list("strat_jkn_na", reps$strat_jkn, target ~ sch.wide),       # 20 missing: degf by rank
  list("strat_jkn_sub", s_yes, api00 ~ sch.wide),                # a domain: degf by rank
  list("clus1_jk1", reps$clus1_jk1, ell ~ comp.imp),
  list("clus1_jk1_3", reps$clus1_jk1, ell ~ stype),
  list("clus1_jk1_na3", reps$clus1_jk1, avg.ed ~ stype),         # 26 missing
  list("scd_brr", reps$scd_brr, arrests ~ ambulance)
)
for (tst in c("wilcoxon", "vanderWaerden", "median", "KruskalWallis")) {
  for (cc in cases) {
    cs <- paste0(cc[[1]], ":rank_", tst)
    x <- tryCatch(svyranktest(cc[[3]], cc[[2]], test = tst), error = function(e) NULL)
    if (!is.null(x) && is.null(x$ddf)) {
      add(cs, "statistic", x$statistic); add(cs, "df", x$parameter)
      add(cs, "estimate", x$estimate); add(cs, "p_value", x$p.value)
    } else {
      add(cs, "r411_error", is.null(x))
      m <- multi_rank(cc[[3]], cc[[2]], tst)
      add(cs, "chisq", m$chisq); add(cs, "ndf", m$ndf); add(cs, "ddf", m$ddf)
      add(cs, "p_value", m$p)
    }
  }
}

# ---------------------------------------------------------------- stage-2 singleton, "average"
mus <- rd("mu284_single.csv")    # district 19 keeps one of its sampled units
mus$grp <- ifelse(mus$id1 %in% c(19, 45), "a", "b")   # a: reaches district 19
mus$big <- ifelse(mus$y1 > 40, "yes", "no")          # district 19's unit has y1 = 41
mus$hi <- as.numeric(mus$y1 > 45)                     # 0 in district 19 (still reached)
mus$y1na <- mus$y1
mus$y1na[mus$id1 == 19 | (mus$id1 == 45 & mus$id2 == 2)] <- NA   # district 19 unanswered
add_stat <- function(cs, est, variable, domain = "") {
  add(cs, "estimate", coef(est), variable, domain)
  add(cs, "se", SE(est), variable, domain)
}
for (opt in c("average", "certainty")) {
  options(survey.lonely.psu = opt)
  ds <- svydesign(id = ~id1 + id2, fpc = ~n1 + n2, data = mus)
  cs <- paste0("mu_", opt)
  for (v in c("y1", "hi")) {
    f <- as.formula(paste0("~", v))
    add_stat(paste0(cs, ":mean"), svymean(f, ds), v)
    add_stat(paste0(cs, ":total"), svytotal(f, ds), v)
    for (by in c("grp", "big")) {
      b <- svyby(f, as.formula(paste0("~", by)), ds, svymean)
      add_stat(paste0(cs, ":meanby_", by), b, v, b[[1]])
      b <- svyby(f, as.formula(paste0("~", by)), ds, svytotal)
      add_stat(paste0(cs, ":totalby_", by), b, v, b[[1]])
    }
  }
  add_stat(paste0(cs, ":mean"), svymean(~y1na, ds, na.rm = TRUE), "y1na")
  add_stat(paste0(cs, ":total"), svytotal(~y1na, ds, na.rm = TRUE), "y1na")
  add_stat(paste0(cs, ":ratio"), svyratio(~hi, ~y1, ds), "hi/y1")
  add_stat(paste0(cs, ":subset_not19"), svymean(~y1, subset(ds, id1 != 19)), "y1")
  add_stat(paste0(cs, ":subset_19"), svymean(~y1, subset(ds, id1 == 19)), "y1")
  # a calibrated design keeps every row when it subsets: every domain reaches district 19
  dp <- postStratify(ds, ~grp, data.frame(grp = c("a", "b"), Freq = c(1500, 3400)))
  b <- svyby(~y1, ~grp, dp, svymean)
  add_stat(paste0(cs, ":ps_meanby_grp"), b, "y1", b[[1]])
}
# stage 1 under "average": a stratum counts when the domain has rows in it, even rows whose
# values are all 0 (lonely.csv: stratum 1 is one district, api00 <= 827 there)
options(survey.lonely.psu = "average")
lonely <- rd("lonely.csv")
lonely$hi <- as.numeric(lonely$api00 > 850)
dl <- svydesign(id = ~dnum, strata = ~st, weights = ~pw, data = lonely)
add_stat("lonely_average:total", svytotal(~hi, dl), "hi")
add_stat("lonely_average:mean", svymean(~hi, dl), "hi")
b <- svyby(~hi, ~stype, dl, svytotal)
add_stat("lonely_average:totalby", b, "hi", b$stype)
options(survey.lonely.psu = "fail")

res <- do.call(rbind, rows)
write.csv(res, file.path(outdir, "fixtures_replicate.csv"), row.names = FALSE)
cat("wrote", nrow(res), "reference values\n")
