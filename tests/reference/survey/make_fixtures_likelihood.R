# Reference numbers for svyciprop(method = "likelihood") (the profile-likelihood interval) on
# designs beyond nhanes/election (fixtures_more.csv): stratified, one- and two-stage cluster,
# post-stratified and GREG-calibrated (R keeps all rows when it subsets these), replicate
# (JK1, JKn from as.svrepdesign), by domain and with item nonresponse. (scd's supplied BRR/Fay
# weights are left out: with 6 rows the replicate fits of a share separate, SE(logit) ~ 10, and
# R's profile finds no cut-off.)
# Run from the repository root:  Rscript tests/reference/survey/make_fixtures_likelihood.R
# Writes fixtures_likelihood.csv (case, variable, domain, level, quantity, value).
suppressMessages(library(survey))
outdir <- "tests/reference/survey"
options(survey.lonely.psu = "fail")
rd <- function(f) read.csv(file.path(outdir, f))
apistrat <- rd("apistrat.csv"); apiclus1 <- rd("apiclus1.csv"); apiclus2 <- rd("apiclus2.csv")
rows <- list()
add <- function(case, quantity, value, variable = "", domain = "") {
  rows[[length(rows) + 1]] <<- data.frame(
    case = case, variable = variable, domain = as.character(domain), level = "",
    quantity = quantity, value = as.numeric(value)
  )
}
add_ci <- function(case, p, variable, domain = "") {
  add(case, "estimate", coef(p), variable, domain)
  add(case, "ci_low", confint(p)[1], variable, domain)
  add(case, "ci_high", confint(p)[2], variable, domain)
}
add_by <- function(case, d, variable) {
  b <- tryCatch(svyby(as.formula(paste0("~", variable)), ~stype, d, svyciprop,
                      method = "likelihood", na.rm = TRUE, vartype = "ci"),
                error = function(e) { message(case, " ", variable, ": ", conditionMessage(e)); NULL })
  if (is.null(b)) return(invisible())  # R's profile stops (see the message); not compared
  add(case, "estimate", coef(b), variable, b$stype)
  add(case, "ci_low", b$ci_l, variable, b$stype)
  add(case, "ci_high", b$ci_u, variable, b$stype)
}
prep <- function(d) {
  d$yes <- as.integer(d$sch.wide == "Yes")
  d$award <- as.integer(d$awards == "Yes")
  d$award[d$snum %% 7 == 0] <- NA          # item nonresponse
  d$high <- as.integer(d$api00 > 800)      # a rarer outcome
  d
}
apistrat <- prep(apistrat); apiclus1 <- prep(apiclus1); apiclus2 <- prep(apiclus2)
strat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)
clus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
clus2 <- svydesign(id = ~dnum + snum, weights = ~pw, data = apiclus2, fpc = ~fpc1 + fpc2)
pop_types <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
designs <- list(
  strat = strat, clus1 = clus1, clus2 = clus2,
  clus1_ps = postStratify(clus1, ~stype, pop_types),
  strat_greg = calibrate(strat, ~api99 + enroll, c(6194, 3914069, 3811472))
)
for (nm in names(designs)) {
  d <- designs[[nm]]
  for (v in c("yes", "award", "high")) {
    add_ci(nm, svyciprop(as.formula(paste0("~", v)), d, method = "likelihood", na.rm = TRUE), v)
    add_by(paste0(nm, ":by"), d, v)
  }
  for (lv in c(0.9, 0.99)) {
    p <- svyciprop(~award, d, method = "likelihood", na.rm = TRUE, level = lv)
    add(paste0(nm, ":level"), "ci_low", confint(p)[1], "award", lv)
    add(paste0(nm, ":level"), "ci_high", confint(p)[2], "award", lv)
  }
}
# Replicate designs. survey 4.1.1 returns NA here: summary.svrepglm reports a dispersion of
# n (183 on apiclus1 JK1) instead of ~1, so the profile never reaches its cut-offs (later
# versions scale the Pearson residuals by the normalised sampling weights). The reference is
# the same method written out below with the dispersion R's formula means,
# sum(w r^2) / sum(w) over the domain's rows: R's own svrepglm fit (coefficient, replicate SE,
# naive covariance), glm deviances, qf, spline() and approx().
lik_rep <- function(d, variable, level = 0.95) {
  m <- svyglm(as.formula(paste(variable, "~ 1")), d, family = quasibinomial,
              na.action = na.omit)
  b0 <- coef(m)[[1]]; se <- sqrt(vcov(m)[1, 1])
  y <- d$variables[[variable]]; pw <- d$pweights / mean(d$pweights)
  ok <- !is.na(y)
  mu0 <- plogis(b0)
  disp <- sum(pw[ok] * (y[ok] - mu0)^2 / (mu0 * (1 - mu0))) / sum(pw)
  lambda <- se^2 / m$naive.cov[1, 1]
  alpha <- pnorm(qt((1 - level) / 2, df = degf(d)) * sqrt(lambda)) / 2
  zmax <- sqrt(qf(alpha, 1, sum(ok) - 1, lower.tail = FALSE))
  dev <- function(b) sum(binomial()$dev.resids(y[ok], rep(plogis(b), sum(ok)), pw[ok]))
  d0 <- deviance(m)
  bs <- b0; zs <- 0
  for (sgn in c(-1, 1)) {
    step <- 0; z <- 0
    while ((step <- step + 1) < 10 && abs(z) < zmax) {
      b <- b0 + sgn * step * zmax / 5 * se
      z <- sgn * sqrt(max((dev(b) - d0) / disp, 0))
      bs <- c(bs, b); zs <- c(zs, z)
    }
  }
  o <- order(zs)
  sp <- spline(x = bs[o], y = zs[o])
  cut <- qnorm(2 * alpha)
  c(plogis(b0), plogis(approx(sp$y, sp$x, xout = c(cut, -cut))$y))
}
add_rep <- function(case, r, variable, domain = "") {
  if (is.null(r)) return(invisible())
  add(case, "estimate", r[1], variable, domain)
  add(case, "ci_low", r[2], variable, domain)
  add(case, "ci_high", r[3], variable, domain)
}
try_rep <- function(what, expr) {
  tryCatch(expr, error = function(e) { message(what, ": ", conditionMessage(e)); NULL })
}
reps <- list(clus1_jk1 = as.svrepdesign(clus1, type = "JK1"),
             strat_jkn = as.svrepdesign(strat, type = "JKn"))
for (nm in names(reps)) {
  d <- reps[[nm]]
  for (v in c("yes", "award", "high")) {
    add_rep(nm, try_rep(nm, lik_rep(d, v)), v)
    for (st in c("E", "H", "M"))
      add_rep(paste0(nm, ":by"), try_rep(paste(nm, v, st), lik_rep(d[d$variables$stype == st, ], v)), v, st)
  }
  for (lv in c(0.9, 0.99)) {
    r <- lik_rep(d, "award", level = lv)
    add(paste0(nm, ":level"), "ci_low", r[2], "award", lv)
    add(paste0(nm, ":level"), "ci_high", r[3], "award", lv)
  }
}
out <- do.call(rbind, rows)
write.csv(out, file.path(outdir, "fixtures_likelihood.csv"), row.names = FALSE)
cat("wrote", nrow(out), "rows\n")
