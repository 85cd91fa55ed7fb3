# Reference numbers for R's regTermTest(method = "LRT") (the Rao-Scott working likelihood-ratio
# test) and regTermTest(method = "WorkingWald") on svyglm fits: Taylor designs (apistrat,
# apiclus1, apiclus1 post-stratified, an apistrat subset, nhanes with unequal weights and item
# nonresponse) and replicate designs (apistrat JKn, apiclus1 JK1), for every lrt.approximation of
# survey 4.1.1 (saddlepoint, integration, satterthwaite) on the model's residual df and on df = Inf.
# Run from the repository root:
#   R_LIBS=/tmp/rlib Rscript tests/reference/survey/make_fixtures_lrt.R
# Writes fixtures_lrt.csv (case, variable, domain, level, quantity, value), read by
# tests/survey/test_regtermtest_lrt.py.
#
# Needs CompQuadForm: without it lrt.approximation = "integration" warns and returns the
# saddlepoint approximation. Davies' algorithm runs at acc = 1e-7 inside pFsum (Farebrother's
# at eps = 1e-10 inside pchisqsum for df = Inf), so for "integration" the script also records
# `p_precise`: the same algorithm on the same arguments at acc = 1e-12 / eps = 1e-16.
#
# One case (clus1:avged) has a tested term with missing values (avg.ed). survey 4.1.1 refits
# the smaller model on every row with the remaining variables observed (26 rows more), so its
# deviance difference compares fits to different data; survey >= 4.2 refits on the model's own
# rows (update(..., design = model$survey.design)) and rescales the smaller model's deviance by
# mean(model$prior.weights) / mean(model0$prior.weights). That case is computed here with
# survey 4.1.1's own pieces (svyglm, deviance, naive.cov, eigen, pFsum) following survey 4.2's
# rule, which is what commeval does.
suppressMessages(library(survey))
if (!requireNamespace("CompQuadForm", quietly = TRUE)) {
  stop("CompQuadForm is needed for lrt.approximation = 'integration'")
}
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

apistrat <- read.csv(file.path(outdir, "apistrat.csv"))
apiclus1 <- read.csv(file.path(outdir, "apiclus1.csv"))
nhanes <- read.csv(file.path(outdir, "nhanes.csv"))
apistrat$sch.wide <- factor(apistrat$sch.wide)  # a factor response: "Yes" is the success
apiclus1$sch.wide <- factor(apiclus1$sch.wide)

dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
pop_types <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
dclus1_ps <- postStratify(dclus1, ~stype, pop_types)
dsub <- subset(dstrat, sch.wide == "Yes")
nh <- svydesign(id = ~SDMVPSU, strata = ~SDMVSTRA, weights = ~WTMEC2YR, nest = TRUE,
                data = nhanes)
rstrat <- as.svrepdesign(dstrat, type = "JKn")
rclus1 <- as.svrepdesign(dclus1, type = "JK1")

precise_p <- function(chisq, lambda, ddf) {
  if (is.finite(ddf)) {
    r <- CompQuadForm::davies(0, lambda = c(lambda, -chisq / ddf),
                              h = c(rep(1, length(lambda)), ddf), acc = 1e-12, lim = 1e7)
    if (r$ifault != 0) stop("davies: ifault ", r$ifault)
    return(r$Qq)
  }
  CompQuadForm::farebrother(chisq, lambda, eps = 1e-16)$Qq
}

record <- function(cs, v, x) {
  add(cs, "chisq", x$chisq, v)
  add(cs, "statistic", x$chisq / mean(x$lambda), v)
  add(cs, "df", x$df, v)
  add(cs, "ddf", x$ddf, v)
  add(cs, "p_value", x$p, v)
  add(cs, "lambda", x$lambda, v, level = seq_along(x$lambda))
}

approximations <- c("saddlepoint", "integration", "satterthwaite")

tests <- function(name, model, terms, dfs = list(NULL), methods = "LRT") {
  for (tt in terms) {
    v <- paste(attr(terms(tt), "term.labels"), collapse = "+")
    for (m in methods) for (d in dfs) for (a in approximations) {
      x <- regTermTest(model, tt, method = m, lrt.approximation = a, df = d)
      cs <- paste0(name, ":", m, ":", a, if (is.null(d)) "" else ":dfinf")
      record(cs, v, x)
      if (a == "integration") add(cs, "p_precise", precise_p(x$chisq, x$lambda, x$ddf), v)
    }
  }
}

g <- svyglm(api00 ~ ell + meals + mobility, dstrat)
tests("strat:gauss", g, list(~ell + mobility, ~meals), dfs = list(NULL, Inf),
      methods = c("LRT", "WorkingWald"))
tests("strat:inter", svyglm(api00 ~ ell * meals, dstrat), list(~ell:meals))
for (d in list(NULL, Inf)) {  # the Wald test (default method) on the residual df and df = Inf
  x <- regTermTest(g, ~ell + mobility, df = d)
  cs <- paste0("strat:gauss:Wald", if (is.null(d)) "" else ":dfinf")
  add(cs, "chisq", if (is.null(d)) x$Ftest * x$df else x$chisq, "ell+mobility")
  add(cs, "df", x$df, "ell+mobility")
  add(cs, "ddf", if (is.null(d)) x$ddf else Inf, "ell+mobility")
  add(cs, "p_value", x$p, "ell+mobility")
}
tests("strat:qb", svyglm(sch.wide ~ ell + meals + stype, dstrat, family = quasibinomial()),
      list(~stype))
tests("clus1:gauss", svyglm(api00 ~ ell + meals + mobility, dclus1),
      list(~ell + mobility, ~meals))
tests("clus1:qb", svyglm(sch.wide ~ ell + meals + stype, dclus1, family = quasibinomial()),
      list(~stype))
tests("clus1_ps:gauss", svyglm(api00 ~ ell + meals + mobility, dclus1_ps), list(~ell + mobility))
tests("sub:gauss", svyglm(api00 ~ ell + meals + mobility, dsub), list(~mobility))
gnh <- svyglm(HI_CHOL ~ factor(race) + RIAGENDR + agecat, nh, family = quasibinomial())
tests("nh:qb", gnh, list(~factor(race), ~agecat), dfs = list(NULL, Inf),
      methods = c("LRT", "WorkingWald"))
tests("strat_jkn:gauss", svyglm(api00 ~ ell + meals + mobility, rstrat), list(~ell + mobility))
tests("strat_jkn:qb",
      svyglm(sch.wide ~ ell + meals + stype, rstrat, family = quasibinomial()), list(~stype))
tests("clus1_jk1:gauss", svyglm(api00 ~ ell + meals + mobility, rclus1), list(~ell + mobility))

# the tested term has missing values: survey >= 4.2's rule (same rows), see the header
ga <- svyglm(api00 ~ ell + meals + avg.ed, dclus1)
ga0 <- svyglm(api00 ~ ell + meals, ga$survey.design)
rescale <- mean(ga$prior.weights) / mean(ga0$prior.weights)
index <- which(names(coef(ga)) == "avg.ed")
lambda <- eigen(solve(ga$naive.cov[index, index, drop = FALSE]) %*%
                  vcov(ga)[index, index, drop = FALSE], only.values = TRUE)$values
chisq <- deviance(ga0) * rescale - deviance(ga)
for (a in approximations) {
  cs <- paste0("clus1:avged:LRT:", a)
  p <- survey:::pFsum(chisq, 1, lambda, ddf = ga$df.residual, method = a, lower.tail = FALSE)
  record(cs, "avg.ed", list(chisq = chisq, lambda = lambda, df = 1, ddf = ga$df.residual, p = p))
  if (a == "integration") add(cs, "p_precise", precise_p(chisq, lambda, ga$df.residual), "avg.ed")
}
# what survey 4.1.1's regTermTest itself returns there (refit on 183 rather than 157 rows)
x411 <- regTermTest(ga, ~avg.ed, method = "LRT")
add("clus1:avged:LRT:survey411", "chisq", x411$chisq, "avg.ed")
add("clus1:avged:LRT:survey411", "nobs_model0",
    nrow(svyglm(api00 ~ ell + meals, dclus1)$model), "avg.ed")
add("clus1:avged:LRT:survey411", "nobs_model", nrow(ga$model), "avg.ed")

out <- do.call(rbind, rows)
write.csv(out, file.path(outdir, "fixtures_lrt.csv"), row.names = FALSE)
cat("wrote", nrow(out), "rows\n")
