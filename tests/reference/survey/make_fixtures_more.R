# Reference numbers from R's survey package on its example data beyond `api`:
#   nhanes        stratified cluster design, strongly unequal weights, item nonresponse (HI_CHOL)
#   mu284         two-stage cluster sample with an FPC at both stages (+ a stage-2 singleton)
#   election_pps  one stage, strongly unequal weights
#   scd           replicate weights supplied with the data (BRR, Fay, JK1, JKn, bootstrap)
# Run from the repository root:  Rscript tests/reference/survey/make_fixtures_more.R
# Writes the datasets (nhanes.csv, mu284.csv, election.csv, scd.csv) and fixtures_more.csv, a
# long table (case, variable, domain, level, quantity, value) read by tests/survey/.
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
add_stat <- function(case, est, variable, domain = "", level = "", deff = FALSE) {
  add(case, "estimate", coef(est), variable, domain, level)
  add(case, "se", SE(est), variable, domain, level)
  add(case, "cv", cv(est), variable, domain, level)
  if (deff) add(case, "deff", deff(est), variable, domain, level)
}
add_glm <- function(cs, g) {
  s <- summary(g)$coefficients
  ci <- confint(g)
  add(cs, "estimate", s[, 1], rownames(s))
  add(cs, "se", s[, 2], rownames(s))
  add(cs, "p_value", s[, 4], rownames(s))
  add(cs, "ci_low", ci[, 1], rownames(s))
  add(cs, "ci_high", ci[, 2], rownames(s))
  add(cs, "df_resid", g$df.residual, "")
}
add_ci <- function(cs, p, variable, domain = "", level = "") {
  add(cs, "estimate", coef(p), variable, domain, level)
  add(cs, "se", SE(p), variable, domain, level)
  add(cs, "ci_low", confint(p)[1], variable, domain, level)
  add(cs, "ci_high", confint(p)[2], variable, domain, level)
}

# ---------------------------------------------------------------- nhanes
data(nhanes)
nhanes$chol_gap <- nhanes$HI_CHOL   # a PSU without a single answer
nhanes$chol_gap[nhanes$SDMVSTRA == 83 & nhanes$SDMVPSU == 1] <- NA
nhanes$hichol_b <- nhanes$HI_CHOL == 1  # logical response with NA
nhanes$agecat <- as.character(nhanes$agecat)
write.csv(nhanes, file.path(outdir, "nhanes.csv"), row.names = FALSE)
nhanes$agecat <- factor(nhanes$agecat, levels = c("(0,19]", "(19,39]", "(39,59]", "(59,Inf]"),
                        ordered = TRUE)
nh <- svydesign(id = ~SDMVPSU, strata = ~SDMVSTRA, weights = ~WTMEC2YR, nest = TRUE, data = nhanes)
add("nh", "degf", degf(nh))
for (v in c("HI_CHOL", "RIAGENDR")) {
  add_stat("nh", svymean(as.formula(paste0("~", v)), nh, na.rm = TRUE, deff = TRUE), v, deff = TRUE)
  add_stat("nh:total", svytotal(as.formula(paste0("~", v)), nh, na.rm = TRUE, deff = TRUE), v,
           deff = TRUE)
  add_stat("nh:replace", svymean(as.formula(paste0("~", v)), nh, na.rm = TRUE, deff = "replace"), v,
           deff = TRUE)
  add_stat("nh:total_replace", svytotal(as.formula(paste0("~", v)), nh, na.rm = TRUE,
                                        deff = "replace"), v, deff = TRUE)
  sv <- svyvar(as.formula(paste0("~", v)), nh, na.rm = TRUE)
  add("nh:var", "estimate", coef(sv), v)
  add("nh:var", "se", SE(sv), v)
}
b <- svyby(~HI_CHOL, ~race, subset(nh, !is.na(HI_CHOL)), svymean, covmat = TRUE)
add("nh:by", "estimate", coef(b), "HI_CHOL", b$race)
add("nh:by", "se", SE(b), "HI_CHOL", b$race)
add("nh:by", "cv", cv(b), "HI_CHOL", b$race)
V <- vcov(b)
for (i in 1:4) for (j in 1:4) add("nh:by_vcov", "vcov", V[i, j], "HI_CHOL", i, j)
lc <- svycontrast(b, c(1, -1, 0, 0))
add("nh:contrast", "estimate", coef(lc), "1-2")
add("nh:contrast", "se", SE(lc), "1-2")
nl <- svycontrast(b, quote(`1` / `2`))
add("nh:contrast", "estimate", coef(nl), "1/2")
add("nh:contrast", "se", SE(nl), "1/2")
nl2 <- svycontrast(b, quote(log(`3`) - log(`4`)))
add("nh:contrast", "estimate", coef(nl2), "log3-log4")
add("nh:contrast", "se", SE(nl2), "log3-log4")
m2 <- svymean(~HI_CHOL + RIAGENDR, nh, na.rm = TRUE)
V2 <- vcov(m2)
add("nh:vcov2", "vcov", V2[1, 2], "HI_CHOL", "RIAGENDR")
add("nh:vcov2", "vcov", V2[1, 1], "HI_CHOL", "HI_CHOL")
sb <- svyby(~HI_CHOL, ~race, nh, svyvar, na.rm = TRUE)
add("nh:varby", "estimate", coef(sb), "HI_CHOL", sb$race)
add("nh:varby", "se", SE(sb), "HI_CHOL", sb$race)
# proportions with item nonresponse: design df of the whole domain
for (m in c("logit", "likelihood", "asin", "beta", "mean", "xlogit")) {
  for (v in c("HI_CHOL", "chol_gap")) {
    add_ci(paste0("nh:prop_", m), svyciprop(as.formula(paste0("~", v)), nh, method = m, na.rm = TRUE), v)
    pb <- svyby(as.formula(paste0("~", v)), ~race, nh, svyciprop, method = m, na.rm = TRUE,
                vartype = c("se", "ci"))
    add(paste0("nh:propby_", m), "estimate", coef(pb), v, pb$race)
    add(paste0("nh:propby_", m), "se", SE(pb), v, pb$race)
    add(paste0("nh:propby_", m), "ci_low", pb$ci_l, v, pb$race)
    add(paste0("nh:propby_", m), "ci_high", pb$ci_u, v, pb$race)
  }
}
for (st in c("F", "Chisq")) {
  x <- svychisq(~HI_CHOL + race, nh, statistic = st)
  add(paste0("nh:chisq_", st), "statistic", x$statistic, "HI_CHOL~race")
  add(paste0("nh:chisq_", st), "p_value", x$p.value, "HI_CHOL~race")
  add(paste0("nh:chisq_", st), "ndf", x$parameter[1], "HI_CHOL~race")
  if (st == "F") add(paste0("nh:chisq_", st), "ddf", x$parameter[2], "HI_CHOL~race")
}
g <- svyglm(HI_CHOL ~ factor(race) + RIAGENDR, nh, family = quasibinomial())
add_glm("nh:glm_quasibinomial", g)
gb <- suppressWarnings(svyglm(hichol_b ~ factor(race) + RIAGENDR, nh, family = binomial()))
add_glm("nh:glm_bool", gb)
# prevalence ratios: quasipoisson (log link) on a 0/1 response
add_glm("nh:glm_quasipoisson", svyglm(HI_CHOL ~ factor(race) + RIAGENDR, nh, family = quasipoisson()))
rt <- regTermTest(g, ~factor(race))
add("nh:regterm", "statistic", rt$Ftest, "factor(race)")
add("nh:regterm", "ndf", rt$df, "factor(race)")
add("nh:regterm", "ddf", rt$ddf, "factor(race)")
add("nh:regterm", "p_value", rt$p, "factor(race)")
ga <- svyglm(HI_CHOL ~ factor(race), nh)
ra <- regTermTest(ga, ~factor(race))
add("nh:jointtest", "statistic", ra$Ftest, "HI_CHOL", "race")
add("nh:jointtest", "ndf", ra$df, "HI_CHOL", "race")
add("nh:jointtest", "ddf", ra$ddf, "HI_CHOL", "race")
add("nh:jointtest", "p_value", ra$p, "HI_CHOL", "race")
# raking with strongly unequal weights: rake() vs calibrate(calfun = "raking")
pop.race <- data.frame(race = 1:4, Freq = c(7e7, 1.6e8, 3.5e7, 1.2e7))
pop.sex <- data.frame(RIAGENDR = 1:2, Freq = c(1.3e8, 1.47e8))
nr <- rake(nh, list(~race, ~RIAGENDR), list(pop.race, pop.sex),
           control = list(maxit = 100, epsilon = 1e-13))
nc <- calibrate(nh, ~factor(race) + factor(RIAGENDR),
                c(`(Intercept)` = 2.77e8, `factor(race)2` = 1.6e8, `factor(race)3` = 3.5e7,
                  `factor(race)4` = 1.2e7, `factor(RIAGENDR)2` = 1.47e8), calfun = "raking")
nl <- calibrate(nh, ~factor(race) + factor(RIAGENDR),
                c(`(Intercept)` = 2.77e8, `factor(race)2` = 1.6e8, `factor(race)3` = 3.5e7,
                  `factor(race)4` = 1.2e7, `factor(RIAGENDR)2` = 1.47e8))
for (cal in list(list("nh_rake", nr), list("nh_calrake", nc), list("nh_greg", nl))) {
  add_stat(cal[[1]], svymean(~HI_CHOL, cal[[2]], na.rm = TRUE), "HI_CHOL")
  add_stat(paste0(cal[[1]], ":total"), svytotal(~HI_CHOL, cal[[2]], na.rm = TRUE), "HI_CHOL")
  b <- svyby(~HI_CHOL, ~agecat, cal[[2]], svymean, na.rm = TRUE)
  add(paste0(cal[[1]], ":by"), "estimate", coef(b), "HI_CHOL", b$agecat)
  add(paste0(cal[[1]], ":by"), "se", SE(b), "HI_CHOL", b$agecat)
  add_glm(paste0(cal[[1]], ":glm_quasibinomial"),
          svyglm(HI_CHOL ~ factor(race) + RIAGENDR, cal[[2]], family = quasibinomial()))
}
# categorical variables: one estimate per level
add_levels <- function(cs, est, lev, domain = "", deff = FALSE) {
  add(cs, "estimate", coef(est), "race", domain, lev)
  add(cs, "se", SE(est), "race", domain, lev)
  if (deff) add(cs, "deff", deff(est), "race", domain, lev)
}
add_levels("nh:catmean", svymean(~factor(race), nh, deff = TRUE), 1:4, deff = TRUE)
add_levels("nh:cattotal", svytotal(~factor(race), nh, deff = TRUE), 1:4, deff = TRUE)
m <- svymean(~factor(HI_CHOL), nh, na.rm = TRUE)
add("nh:catmean_na", "estimate", coef(m), "HI_CHOL", "", 0:1)
add("nh:catmean_na", "se", SE(m), "HI_CHOL", "", 0:1)
for (sx in 1:2) {
  add_levels("nh:catby", svymean(~factor(race), subset(nh, RIAGENDR == sx)), 1:4, sx)
  add_levels("nh:cattotalby", svytotal(~factor(race), subset(nh, RIAGENDR == sx)), 1:4, sx)
}
# bounded calibration (bounds on g = calibrated / design weight), each binding
pop.cal <- c(`(Intercept)` = 2.77e8, `factor(race)2` = 1.6e8, `factor(race)3` = 3.5e7,
             `factor(race)4` = 1.2e7, `factor(RIAGENDR)2` = 1.47e8)
for (cb in list(list("linear", c(0.58, 1.8)), list("raking", c(0.4, 1.74)),
                list("logit", c(0.58, 1.745)), list("logit", c(0.3, 3)))) {
  cs <- paste0("nh_cal_", cb[[1]], "_", cb[[2]][1], "_", cb[[2]][2])
  dc <- calibrate(nh, ~factor(race) + factor(RIAGENDR), pop.cal, calfun = cb[[1]],
                  bounds = cb[[2]], epsilon = 1e-12, maxit = 100)
  g <- weights(dc) / weights(nh)
  add(cs, "g_min", min(g)); add(cs, "g_max", max(g))
  add_stat(cs, svymean(~HI_CHOL, dc, na.rm = TRUE), "HI_CHOL")
  add_stat(paste0(cs, ":total"), svytotal(~HI_CHOL, dc, na.rm = TRUE), "HI_CHOL")
  b <- svyby(~HI_CHOL, ~agecat, dc, svymean, na.rm = TRUE)
  add(paste0(cs, ":by"), "estimate", coef(b), "HI_CHOL", b$agecat)
  add(paste0(cs, ":by"), "se", SE(b), "HI_CHOL", b$agecat)
}
# ordinal logistic regression (proportional odds)
ol <- svyolr(agecat ~ factor(race) + RIAGENDR, nh)
est <- c(coef(ol), ol$zeta)
est <- est[!duplicated(names(est))]
se <- sqrt(diag(vcov(ol)))
add("nh:olr", "estimate", est, names(est))
add("nh:olr", "se", se[names(est)], names(est))
# R's defaults stop BFGS at reltol 1e-8 and take a finite-difference Hessian (ndeps 1e-3):
# coefficients and SEs ~1e-4 from the converged fit; converged reference:
add_olr <- function(cs, ol) {
  est <- c(coef(ol), ol$zeta)
  est <- est[!duplicated(names(est))]
  se <- sqrt(diag(vcov(ol)))
  add(cs, "estimate", est, names(est))
  add(cs, "se", se[names(est)], names(est))
  ci <- confint.default(ol)
  add(cs, "ci_low", ci[, 1], rownames(ci))
  add(cs, "ci_high", ci[, 2], rownames(ci))
  add(cs, "df_resid", ol$df.residual, "")
  add(cs, "deviance", ol$deviance, "")
}
ctl <- list(reltol = 1e-15, maxit = 1000, ndeps = rep(1e-5, 7))
olc <- svyolr(agecat ~ factor(race) + RIAGENDR, nh, control = ctl)
add_olr("nh:olr_conv", olc)
rto <- regTermTest(olc, ~factor(race))
add("nh:olr_regterm", "statistic", rto$Ftest, "factor(race)")
add("nh:olr_regterm", "ndf", rto$df, "factor(race)")
add("nh:olr_regterm", "ddf", rto$ddf, "factor(race)")
add("nh:olr_regterm", "p_value", rto$p, "factor(race)")
add_olr("nh:olr_sub", svyolr(agecat ~ factor(race), subset(nh, RIAGENDR == 2),
                             control = list(reltol = 1e-15, maxit = 1000, ndeps = rep(1e-5, 6))))
# replicate designs: svyolr.svyrep.design passes control only to the full-sample polr, the
# replicate fits stop at BFGS defaults (SEs up to ~4 % off on nhanes); the reference repeats
# its algorithm with every replicate fit converged. polr needs weights of moderate size.
nhs <- svydesign(id = ~SDMVPSU, strata = ~SDMVSTRA, weights = ~I(WTMEC2YR / mean(WTMEC2YR)),
                 nest = TRUE, data = nhanes)
nhj <- as.svrepdesign(nhs, type = "JKn")
ctl <- list(reltol = 1e-15, maxit = 1000)
olj <- svyolr(agecat ~ factor(race) + RIAGENDR, nhj, control = ctl)
add("nh_jkn:olr_r", "se", sqrt(diag(vcov(olj))), names(sqrt(diag(vcov(olj)))))
start <- c(olj$coefficients, olj$zeta)
betas <- apply(weights(nhj, "analysis"), 2, function(w) {
  m <- MASS::polr(agecat ~ factor(race) + RIAGENDR, data = model.frame(nhj), start = start,
                  weights = w, control = ctl)
  c(m$coefficients, m$zeta)
})
vj <- svrVar(t(betas), nhj$scale, nhj$rscales, mse = nhj$mse, coef = start)
add("nh_jkn:olr", "estimate", start, names(start))
add("nh_jkn:olr", "se", sqrt(diag(vj)), names(start))
add("nh_jkn:olr", "df_resid", olj$df.residual, "")

# BRR and Fay half-samples from Hadamard matrices (2 PSUs per stratum: nhanes without the
# third PSU of stratum 86; 15 strata -> R's hadamard(15), Sylvester of order 16)
nh2 <- svydesign(id = ~SDMVPSU, strata = ~SDMVSTRA, weights = ~WTMEC2YR, nest = TRUE,
                 data = nhanes[!(nhanes$SDMVSTRA == 86 & nhanes$SDMVPSU == 3), ])
S <- matrix(1); for (i in 1:4) S <- rbind(cbind(S, S), cbind(S, -S))
for (bb in list(list("nh2_brr", as.svrepdesign(nh2, type = "BRR")),
                list("nh2_fay", as.svrepdesign(nh2, type = "Fay", fay.rho = 0.3)),
                list("nh2_brr_user", as.svrepdesign(nh2, type = "BRR", hadamard.matrix = S)))) {
  cs <- bb[[1]]; d <- bb[[2]]
  add(cs, "degf", degf(d)); add(cs, "scale", d$scale); add(cs, "replicates", ncol(d$repweights))
  add_stat(cs, svymean(~HI_CHOL, d, na.rm = TRUE), "HI_CHOL")
  add_stat(paste0(cs, ":total"), svytotal(~HI_CHOL, d, na.rm = TRUE), "HI_CHOL")
  b <- svyby(~HI_CHOL, ~race, d, svymean, na.rm = TRUE)
  add(paste0(cs, ":by"), "estimate", coef(b), "HI_CHOL", b$race)
  add(paste0(cs, ":by"), "se", SE(b), "HI_CHOL", b$race)
  s <- summary(svyglm(HI_CHOL ~ factor(race) + RIAGENDR, d, family = quasibinomial()))$coefficients
  add(paste0(cs, ":glm_quasibinomial"), "estimate", s[, 1], rownames(s))
  add(paste0(cs, ":glm_quasibinomial"), "se", s[, 2], rownames(s))
}

# ---------------------------------------------------------------- mu284
data(mu284)
write.csv(mu284, file.path(outdir, "mu284.csv"), row.names = FALSE)
mu <- svydesign(id = ~id1 + id2, fpc = ~n1 + n2, data = mu284)
add("mu", "degf", degf(mu))
add_stat("mu", svymean(~y1, mu, deff = TRUE), "y1", deff = TRUE)
add_stat("mu:total", svytotal(~y1, mu), "y1")
add_stat("mu:subset", svymean(~y1, subset(mu, y1 > 40)), "y1")
add_ci("mu:prop_logit", svyciprop(~I(y1 > 40), mu), "y1>40")
q <- svyquantile(~y1, mu, 0.5, ci = TRUE)$y1
add("mu:quantile", "estimate", q[1, 1], "y1", level = "0.5")
add("mu:quantile", "ci_low", q[1, 2], "y1", level = "0.5")
add("mu:quantile", "ci_high", q[1, 3], "y1", level = "0.5")
# a stage-2 singleton: district 19 keeps one of its sampled units
mus <- mu284[!(mu284$id1 == 19 & mu284$id2 != 1), ]
write.csv(mus, file.path(outdir, "mu284_single.csv"), row.names = FALSE)
for (opt in c("fail", "remove", "adjust", "certainty")) {
  options(survey.lonely.psu = opt)
  ds <- svydesign(id = ~id1 + id2, fpc = ~n1 + n2, data = mus)
  r <- tryCatch(svymean(~y1, ds), error = function(e) NULL)
  if (is.null(r)) add(paste0("mu_single_", opt), "error", 1, "y1") else {
    add_stat(paste0("mu_single_", opt), r, "y1")
    add_stat(paste0("mu_single_", opt, ":total"), svytotal(~y1, ds), "y1")
  }
}
options(survey.lonely.psu = "fail")

# ---------------------------------------------------------------- election_pps
data(election)
el <- election_pps[, c("TotPrecincts", "Bush", "Kerry", "Nader", "votes", "p", "wt")]
el$kerry_win <- as.integer(el$Kerry > el$Bush)
write.csv(el, file.path(outdir, "election.csv"), row.names = FALSE)
de <- svydesign(id = ~1, weights = ~wt, data = el)
add("el", "degf", degf(de))
for (v in c("Bush", "Kerry")) {
  add_stat("el", svymean(as.formula(paste0("~", v)), de, deff = TRUE), v, deff = TRUE)
  add_stat("el:replace", svymean(as.formula(paste0("~", v)), de, deff = "replace"), v, deff = TRUE)
  add_stat("el:total", svytotal(as.formula(paste0("~", v)), de), v)
}
r <- svyratio(~Kerry, ~votes, de)
add("el:ratio", "estimate", coef(r), "Kerry/votes")
add("el:ratio", "se", SE(r), "Kerry/votes")
for (m in c("logit", "likelihood", "asin", "beta", "mean", "xlogit"))
  add_ci(paste0("el:prop_", m), svyciprop(~kerry_win, de, method = m), "kerry_win")
sv <- svyvar(~Kerry, de)
add("el:var", "estimate", coef(sv), "Kerry")
add("el:var", "se", SE(sv), "Kerry")
add_glm("el:glm_quasibinomial", svyglm(kerry_win ~ log(votes), de, family = quasibinomial()))
add_glm("el:glm_quasipoisson", svyglm(Nader ~ log(votes), de, family = quasipoisson()))

# ---------------------------------------------------------------- scd, replicate weights
data(scd)
brr <- 2 * cbind(c(1, 0, 1, 0, 1, 0), c(1, 0, 0, 1, 0, 1), c(0, 1, 1, 0, 0, 1), c(0, 1, 0, 1, 1, 0))
fay <- 0.3 + 0.7 * brr
jk1 <- matrix(6 / 5, 6, 6); diag(jk1) <- 0
jkn <- matrix(1, 6, 6)
for (k in 1:6) { h <- (k + 1) %/% 2; jkn[2 * h - (0:1), k] <- 2; jkn[k, k] <- 0 }
boot <- cbind(c(2, 0, 1, 1, 0, 2), c(1, 1, 0, 2, 1, 1), c(0, 2, 2, 0, 1, 1), c(1, 1, 1, 1, 2, 0),
              c(3, 0, 0, 1, 1, 1))
scdw <- scd
for (k in 1:4) scdw[[paste0("brr", k)]] <- brr[, k]
for (k in 1:4) scdw[[paste0("fay", k)]] <- fay[, k]
for (k in 1:6) scdw[[paste0("jk", k)]] <- jk1[, k]
for (k in 1:6) scdw[[paste0("jn", k)]] <- jkn[, k]
for (k in 1:5) scdw[[paste0("bs", k)]] <- boot[, k]
write.csv(scdw, file.path(outdir, "scd.csv"), row.names = FALSE)
reps <- list(
  scd_brr = svrepdesign(data = scd, type = "BRR", repweights = brr, combined.weights = FALSE),
  scd_fay = svrepdesign(data = scd, type = "Fay", rho = 0.3, repweights = fay,
                        combined.weights = FALSE),
  scd_jk1 = svrepdesign(data = scd, type = "JK1", repweights = jk1, combined.weights = FALSE),
  scd_jkn = svrepdesign(data = scd, type = "JKn", repweights = jkn, combined.weights = FALSE,
                        rscales = rep(0.5, 6)),
  scd_boot = svrepdesign(data = scd, type = "bootstrap", repweights = boot,
                         combined.weights = FALSE),
  scd_brr_mse = svrepdesign(data = scd, type = "BRR", repweights = brr, combined.weights = FALSE,
                            mse = TRUE),
  scd_other = svrepdesign(data = scd, type = "other", repweights = jk1, combined.weights = FALSE,
                          scale = 0.7, rscales = c(1, 1, 2, 2, 1, 1))
)
for (nm in names(reps)) {
  d <- reps[[nm]]
  add(nm, "degf", degf(d))
  add(nm, "scale", d$scale)
  for (v in c("alive", "arrests")) {
    add_stat(nm, svymean(as.formula(paste0("~", v)), d), v)
    add_stat(paste0(nm, ":total"), svytotal(as.formula(paste0("~", v)), d), v)
  }
  r <- svyratio(~alive, ~arrests, d)
  add(paste0(nm, ":ratio"), "estimate", coef(r), "alive/arrests")
  add(paste0(nm, ":ratio"), "se", SE(r), "alive/arrests")
  b <- svyby(~alive, ~ambulance, d, svymean)
  add(paste0(nm, ":by"), "estimate", coef(b), "alive", b$ambulance)
  add(paste0(nm, ":by"), "se", SE(b), "alive", b$ambulance)
  s <- summary(svyglm(alive ~ arrests, d))$coefficients
  add(paste0(nm, ":glm_gaussian"), "estimate", s[, 1], rownames(s))
  add(paste0(nm, ":glm_gaussian"), "se", s[, 2], rownames(s))
  s <- summary(svyglm(arrests ~ alive, d, family = quasipoisson()))$coefficients
  add(paste0(nm, ":glm_quasipoisson"), "estimate", s[, 1], rownames(s))
  add(paste0(nm, ":glm_quasipoisson"), "se", s[, 2], rownames(s))
}

# ---------------------------------------------------------------- questionnaire estimators on replicates
apistrat <- read.csv(file.path(outdir, "apistrat.csv"))
sj <- as.svrepdesign(svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc,
                               data = apistrat), type = "JKn")
for (st in c("F", "Chisq")) {
  x <- svychisq(~stype + sch.wide, sj, statistic = st)
  add(paste0("strat_jkn:chisq_", st), "statistic", x$statistic, "stype~sch.wide")
  add(paste0("strat_jkn:chisq_", st), "p_value", x$p.value, "stype~sch.wide")
  add(paste0("strat_jkn:chisq_", st), "ndf", x$parameter[1], "stype~sch.wide")
  if (st == "F") add(paste0("strat_jkn:chisq_", st), "ddf", x$parameter[2], "stype~sch.wide")
}
q <- svyquantile(~api00, sj, c(0.25, 0.5, 0.75), ci = TRUE)$api00
for (i in 1:3) {
  add("strat_jkn:quantile", "estimate", q[i, 1], "api00", level = c(0.25, 0.5, 0.75)[i])
  add("strat_jkn:quantile", "ci_low", q[i, 2], "api00", level = c(0.25, 0.5, 0.75)[i])
  add("strat_jkn:quantile", "ci_high", q[i, 3], "api00", level = c(0.25, 0.5, 0.75)[i])
}
pb <- svyby(~I(sch.wide == "Yes"), ~stype, sj, svyciprop, method = "logit", vartype = c("se", "ci"))
add("strat_jkn:propby", "estimate", coef(pb), "sch.wide", pb$stype)
add("strat_jkn:propby", "se", SE(pb), "sch.wide", pb$stype)
add("strat_jkn:propby", "ci_low", pb$ci_l, "sch.wide", pb$stype)
add("strat_jkn:propby", "ci_high", pb$ci_u, "sch.wide", pb$stype)
mb <- svyby(~api00, ~stype, sj, svymean)
add("strat_jkn:meanby", "estimate", coef(mb), "api00", mb$stype)
add("strat_jkn:meanby", "se", SE(mb), "api00", mb$stype)

# ---------------------------------------------------------------- rank tests
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
apiclus1 <- read.csv(file.path(outdir, "apiclus1.csv"))
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
for (tst in c("wilcoxon", "vanderWaerden", "median", "KruskalWallis")) {
  for (rr in list(list("strat", dstrat, api00 ~ sch.wide), list("strat3", dstrat, api00 ~ stype),
                  list("clus1", dclus1, ell ~ comp.imp), list("clus1_3", dclus1, ell ~ stype))) {
    x <- svyranktest(rr[[3]], rr[[2]], test = tst)
    cs <- paste0(rr[[1]], ":rank_", tst)
    if (is.null(x$ddf)) {
      add(cs, "statistic", x$statistic); add(cs, "df", x$parameter)
      add(cs, "estimate", x$estimate)
    } else {
      add(cs, "chisq", x$parameter); add(cs, "ndf", x$statistic); add(cs, "ddf", x$ddf)
    }
    add(cs, "p_value", x$p.value)
  }
}

# ---------------------------------------------------------------- quantile rules, interval types
for (qr in c("math", "school", paste0("hf", 1:9))) {
  for (it in c("mean", "beta", "xlogit", "asin")) {
    for (dd in list(list("strat", dstrat, ~api00), list("clus1", dclus1, ~enroll))) {
      q <- svyquantile(dd[[3]], dd[[2]], c(0.1, 0.5, 0.9), ci = TRUE, qrule = qr,
                       interval.type = it)[[1]]
      for (i in 1:3) {
        lv <- c(0.1, 0.5, 0.9)[i]
        cs <- paste0(dd[[1]], ":q_", qr, "_", it)
        add(cs, "estimate", q[i, 1], "", level = lv)
        add(cs, "ci_low", q[i, 2], "", level = lv)
        add(cs, "ci_high", q[i, 3], "", level = lv)
      }
    }
  }
}

# ---------------------------------------------------------------- GLM start values, replicates
apiclus1 <- read.csv(file.path(outdir, "apiclus1.csv"))
c1 <- as.svrepdesign(svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc), type = "JK1")
add_glm("clus1_jk1:glm_quasibinomial", svyglm(yes ~ ell + meals, c1, family = quasibinomial()))

res <- do.call(rbind, rows)
write.csv(res, file.path(outdir, "fixtures_more.csv"), row.names = FALSE)
cat("wrote", nrow(res), "reference values\n")
