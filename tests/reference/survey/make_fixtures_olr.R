# Reference numbers for svyolr's links (logistic, probit, cloglog, loglog, cauchit) from R's
# survey package: apistrat (stratified, fpc), apiclus1 (one-stage cluster, fpc), nhanes
# (stratified cluster, unequal weights) and apistrat as a JKn replicate design.
# Run from the repository root:  Rscript tests/reference/survey/make_fixtures_olr.R
# Writes fixtures_olr.csv (case, variable, domain, level, quantity, value) read by
# tests/survey/test_olr_links.py.
#
# How each reference is obtained (survey 4.1.1, MASS 7.3):
# * logistic, probit: svyolr(method = ...) itself.
# * loglog, F(t) = exp(-exp(-t)): svyolr(method = "cloglog") itself -- survey's Taylor svyolr
#   takes its "cloglog" distribution from its own pgumbel, which is MASS's "loglog".
# * cloglog, F(t) = 1 - exp(-exp(t)) (MASS::polr's "cloglog"): svyolr(method = "cloglog") on the
#   response with its levels reversed, since P(y <= k) = 1 - exp(-exp(zeta_k - x b)) is
#   P(y_rev <= K - k) = exp(-exp(-(-zeta_k + x b))): beta = -beta_rev, zeta_k = -zeta_rev_{K-k},
#   same SEs. Checked below against MASS::polr(method = "cloglog") with the sampling weights.
# * cauchit: svyolr and MASS::polr evaluate the end categories at +-100 instead of +-Inf
#   (survey: F(+-100 - x b); MASS: F(+-100)), which for the Cauchy leaves 1/(100 pi) ~ 0.3 % of
#   probability out, so they fit a slightly different likelihood. The reference is the exact
#   likelihood, maximised here by optim (BFGS, analytic gradient) then Newton steps on
#   optimHess's finite-difference Hessian (to a step < 1e-12), with that Hessian and survey's
#   svyrecvar of scores %*% solve(H) (exact_olr below; it reproduces svyolr's logistic and
#   probit fits, checked below). svyolr's own cauchit numbers are kept as
#   "<case>:olr_cauchit_svyolr".
# * every fit is converged: optim BFGS with reltol = 1e-15, maxit = 1000 and a finite-difference
#   Hessian step ndeps = 1e-5 (R's defaults are 1e-8 and 1e-3, ~1e-4 from the optimum), then
#   refitted from its own solution (start =) with the same control. BFGS still stops up to
#   ~5e-7 (relative) from the optimum, so its solution is polished by Newton steps on the same
#   likelihood and svyolr is evaluated there (start = the optimum, maxit = 0: svyolr's own
#   finite-difference Hessian, sandwich and deviance); svyolr_conv prints the change of each
#   pass. MASS::polr fits (JKn) are polished the same way.
# * JKn replicates: svyolr.svyrep.design refits the replicates with MASS::polr's default
#   (logistic) link whatever `method` is, and without `control`; the reference refits every
#   replicate with the chosen link, converged (MASS::polr, control as above; exact_olr for
#   cauchit), started from the full-sample fit, and takes svrVar of them. svyolr's own
#   replicate SEs are kept as "strat_jkn:olr_<link>_svyolr" (not for cauchit, where
#   svyolr.svyrep.design stops: polr cannot find starting values).
suppressMessages(library(survey))
outdir <- "tests/reference/survey"
rows <- list()
add <- function(case, quantity, value, variable = "", domain = "", level = "") {
  value <- as.numeric(value)
  rows[[length(rows) + 1]] <<- data.frame(
    case = case, variable = variable, domain = as.character(domain),
    level = as.character(level), quantity = quantity, value = value
  )
}
LINKS <- c("logistic", "probit", "cloglog", "loglog", "cauchit")
API_LEVELS <- c("low", "mid", "high", "top")
AGE_LEVELS <- c("(0,19]", "(19,39]", "(39,59]", "(59,Inf]")

apistrat <- read.csv(file.path(outdir, "apistrat.csv"))
apiclus1 <- read.csv(file.path(outdir, "apiclus1.csv"))
nhanes <- read.csv(file.path(outdir, "nhanes.csv"))
api_cut <- function(x) cut(x, c(-Inf, 550, 650, 750, Inf), labels = API_LEVELS,
                           ordered_result = TRUE)
apistrat$apiq <- api_cut(apistrat$api00)
apiclus1$apiq <- api_cut(apiclus1$api00)
nhanes$agecat <- factor(nhanes$agecat, levels = AGE_LEVELS, ordered = TRUE)
for (nm in c("apistrat", "apiclus1", "nhanes")) {
  d <- get(nm)
  resp <- if (nm == "nhanes") "agecat" else "apiq"
  d[[paste0(resp, "_rev")]] <- factor(d[[resp]], levels = rev(levels(d[[resp]])), ordered = TRUE)
  assign(nm, d)
}

dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
dclus1 <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)
nh <- svydesign(id = ~SDMVPSU, strata = ~SDMVSTRA, weights = ~WTMEC2YR, nest = TRUE, data = nhanes)

# the exact (untruncated) weighted cumulative-link likelihood
cdfs <- list(logistic = plogis, probit = pnorm, cauchit = pcauchy,
             cloglog = function(t) -expm1(-exp(t)), loglog = function(t) exp(-exp(-t)))
pdfs <- list(logistic = dlogis, probit = dnorm, cauchit = dcauchy,
             cloglog = function(t) exp(t - exp(t)), loglog = function(t) exp(-t - exp(-t)))
olr_data <- function(formula, data) {
  mf <- model.frame(formula, data)
  y <- model.response(mf)
  list(y = as.integer(y), X = model.matrix(formula, mf)[, -1, drop = FALSE], q = nlevels(y) - 1)
}
score_rows <- function(par, dat, method) {  # per-row d log P(y) / d (beta, zeta)
  p <- ncol(dat$X); q <- dat$q
  ends <- c(-Inf, par[p + 1:q], Inf)
  eta <- drop(dat$X %*% par[1:p])
  a <- ends[dat$y + 1] - eta; b <- ends[dat$y] - eta
  pr <- cdfs[[method]](a) - cdfs[[method]](b)
  fa <- ifelse(is.finite(a), pdfs[[method]](a), 0)
  fb <- ifelse(is.finite(b), pdfs[[method]](b), 0)
  k <- matrix(1:q, length(dat$y), q, byrow = TRUE)
  list(pr = pr, s = cbind(-dat$X * (fa - fb) / pr, ((k == dat$y) * fa - (k == dat$y - 1) * fb) / pr))
}
neg_loglik <- function(dat, w, method) {  # -log-likelihood and its gradient in (beta, zeta)
  list(f = function(par) {
    pr <- score_rows(par, dat, method)$pr
    if (all(pr > 0)) -sum(w * log(pr)) else Inf
  }, g = function(par) -colSums(w * score_rows(par, dat, method)$s))
}
exact_fit <- function(dat, w, method, start, bfgs = TRUE) {  # start: (beta, zeta)
  p <- ncol(dat$X); q <- dat$q
  nl <- neg_loglik(dat, w, method)
  # BFGS on (beta, zeta_1, log diff zeta) as polr, then Newton steps with optimHess's
  # finite-difference Hessian of the analytic gradient until the step is < 1e-12 (BFGS alone
  # stops short on the flat cauchit likelihood: gradients up to 5 where they should be 0)
  to_zeta <- function(th) c(th[1:p], cumsum(c(th[p + 1], exp(th[p + 1 + seq_len(q - 1)]))))
  neggr <- function(th) {
    J <- diag(p + q)  # d (beta, zeta) / d theta
    for (j in seq_len(q - 1)) J[p + (j + 1):q, p + j + 1] <- exp(th[p + j + 1])
    drop(nl$g(to_zeta(th)) %*% J)
  }
  par <- start
  if (bfgs) {
    th <- c(start[1:p], start[p + 1], log(diff(start[p + 1:q])))
    th <- optim(th, function(th) nl$f(to_zeta(th)), neggr, method = "BFGS",
                control = list(reltol = 1e-15, maxit = 1000))$par
    par <- to_zeta(th)
  }
  for (i in 1:50) {
    H <- optimHess(par, nl$f, nl$g, control = list(ndeps = rep(1e-5, length(par))))
    step <- solve(H, nl$g(par))
    par <- par - step
    if (max(abs(step)) < 1e-12 * (1 + max(abs(par)))) break
  }
  par
}
exact_olr <- function(formula, design, method, start) {
  dat <- olr_data(formula, model.frame(design))
  w <- weights(design)
  par <- exact_fit(dat, w, method, start)
  nl <- neg_loglik(dat, w, method)
  H <- optimHess(par, nl$f, nl$g, control = list(ndeps = rep(1e-5, length(par))))
  U <- w * score_rows(par, dat, method)$s
  V <- svyrecvar(U %*% solve(H), design$cluster, design$strata, design$fpc,
                 postStrata = design$postStrata)
  lev <- levels(model.response(model.frame(formula, model.frame(design))))
  names(par) <- c(colnames(dat$X), paste(head(lev, -1), tail(lev, -1), sep = "|"))
  cat(sprintf("  exact %-9s max |gradient| %.1e\n", method, max(abs(nl$g(par)))))
  list(par = par, se = sqrt(diag(V)), deviance = 2 * nl$f(par) / mean(w))
}

ctl_for <- function(npar) list(reltol = 1e-15, maxit = 1000, ndeps = rep(1e-5, npar))
theta_of <- function(par, p) c(par[1:p], par[p + 1], log(diff(par[-(1:p)])))
svyolr_conv <- function(formula, design, method, npar) {
  # svyolr converged: fitted, refitted from its own solution, then its estimates polished by
  # Newton steps on the same likelihood (exact_fit without BFGS; svyolr's +-100 ends do not
  # matter for these links; not for cauchit) and svyolr evaluated there with maxit = 0 (no BFGS step: its own
  # Hessian, variance, deviance at the optimum). Prints the change of each pass.
  f1 <- svyolr(formula, design, method = method, control = ctl_for(npar))
  p <- length(f1$coefficients)
  f2 <- svyolr(formula, design, method = method, start = theta_of(coef(f1), p),
               control = ctl_for(npar))
  if (method == "cauchit") {  # svyolr's truncated cauchit: kept as it is
    cat(sprintf("  %-36s %-9s max rel change: 2nd BFGS %.1e\n", deparse(formula), method,
                max(abs(c(coef(f2), sqrt(diag(vcov(f2)))) / c(coef(f1), sqrt(diag(vcov(f1)))) - 1))))
    return(f2)
  }
  lik <- if (method == "cloglog") "loglog" else method  # survey's "cloglog" is pgumbel
  par <- exact_fit(olr_data(formula, model.frame(design)), weights(design), lik, coef(f2),
                   bfgs = FALSE)
  f3 <- svyolr(formula, design, method = method, start = theta_of(par, p),
               control = modifyList(ctl_for(npar), list(maxit = 0)))
  stopifnot(max(abs(coef(f3) / par - 1)) < 1e-14)
  e <- lapply(list(f1, f2, f3), function(f) c(coef(f), sqrt(diag(vcov(f)))))
  cat(sprintf("  %-36s %-9s max rel change: 2nd BFGS %.1e, Newton polish %.1e\n",
              deparse(formula), method, max(abs(e[[2]] / e[[1]] - 1)),
              max(abs(e[[3]] / e[[2]] - 1))))
  f3
}
# one fit per link as (estimate, se, deviance, df_resid), named by the original levels
fit_link <- function(response, rhs, design, method) {
  lev <- levels(model.frame(design)[[response]])
  q <- length(lev) - 1
  zn <- paste(head(lev, -1), tail(lev, -1), sep = "|")
  f <- as.formula(paste(response, "~", rhs))
  frev <- as.formula(paste0(response, "_rev ~ ", rhs))
  p <- ncol(model.matrix(f, model.frame(design))) - 1
  if (method %in% c("logistic", "probit", "loglog")) {
    m <- svyolr_conv(f, design, if (method == "loglog") "cloglog" else method, p + q)
    est <- c(m$coefficients, m$zeta); se <- sqrt(diag(vcov(m)))[names(est)]
    dev <- m$deviance; dfr <- m$df.residual
  } else if (method == "cloglog") {
    m <- svyolr_conv(frev, design, "cloglog", p + q)
    se_rev <- sqrt(diag(vcov(m)))
    est <- c(-m$coefficients, -rev(m$zeta))
    se <- c(se_rev[names(m$coefficients)], rev(se_rev[names(m$zeta)]))
    names(est) <- names(se) <- c(names(m$coefficients), zn)
    dev <- m$deviance; dfr <- m$df.residual
    mp <- MASS::polr(f, data = model.frame(design), weights = weights(design),
                     method = "cloglog", control = list(reltol = 1e-15, maxit = 1000))
    stopifnot(max(abs(c(mp$coefficients, mp$zeta) / est - 1)) < 1e-6)
  } else {
    s <- svyolr_conv(f, design, "cauchit", p + q)
    x <- exact_olr(f, design, "cauchit", c(s$coefficients, s$zeta))
    est <- x$par; se <- x$se; dev <- x$deviance; dfr <- s$df.residual
  }
  list(est = est, se = se, deviance = dev, df_resid = dfr)
}
add_fit <- function(cs, r) {
  add(cs, "estimate", r$est, names(r$est))
  add(cs, "se", r$se, names(r$est))
  add(cs, "ci_low", r$est - qnorm(0.975) * r$se, names(r$est))
  add(cs, "ci_high", r$est + qnorm(0.975) * r$se, names(r$est))
  add(cs, "deviance", r$deviance)
  add(cs, "df_resid", r$df_resid)
}

API_RHS <- "ell + meals + mobility"
NH_RHS <- "factor(race) + RIAGENDR"
taylor <- list(strat = list("apiq", API_RHS, dstrat), clus1 = list("apiq", API_RHS, dclus1),
               nh = list("agecat", NH_RHS, nh))
for (cs in names(taylor)) {
  tc <- taylor[[cs]]
  for (m in LINKS) add_fit(paste0(cs, ":olr_", m), fit_link(tc[[1]], tc[[2]], tc[[3]], m))
  # svyolr's own (truncated) cauchit, for the size of the difference
  f <- as.formula(paste(tc[[1]], "~", tc[[2]]))
  npar <- length(coef(svyolr(f, tc[[3]])))
  s <- svyolr_conv(f, tc[[3]], "cauchit", npar)
  add(paste0(cs, ":olr_cauchit_svyolr"), "estimate", coef(s), names(coef(s)))
  add(paste0(cs, ":olr_cauchit_svyolr"), "se", sqrt(diag(vcov(s))), names(coef(s)))
}

# exact_olr reproduces svyolr where the truncation does not matter (logistic, probit)
for (m in c("logistic", "probit")) {
  s <- svyolr_conv(apiq ~ ell + meals + mobility, dstrat, m, 6)
  x <- exact_olr(apiq ~ ell + meals + mobility, dstrat, m, coef(s))
  stopifnot(max(abs(x$par / coef(s) - 1)) < 1e-7,
            max(abs(x$se / sqrt(diag(vcov(s)))[names(x$par)] - 1)) < 1e-6)
}

# ---------------------------------------------------------------- JKn replicate design
sj <- as.svrepdesign(dstrat, type = "JKn")
fj <- apiq ~ ell + meals + mobility
mfj <- model.frame(sj)
rw <- weights(sj, "analysis")
pw <- weights(sj, "sampling")
datj <- olr_data(fj, mfj)
ctl <- list(reltol = 1e-15, maxit = 1000)
for (m in LINKS) {
  cs <- paste0("strat_jkn:olr_", m)
  if (m == "cauchit") {
    # MASS::polr's cauchit start (a glm) fails here; start from the Taylor svyolr fit
    start <- exact_fit(datj, pw, "cauchit", coef(svyolr(fj, dstrat, method = "cauchit")))
    fit1 <- function(w) exact_fit(datj, w, "cauchit", start)
    dev <- 2 * -sum(pw * log(score_rows(start, datj, "cauchit")$pr)) / mean(pw)
  } else {
    # MASS::polr (converged control), polished by Newton steps (exact_fit without BFGS)
    s <- MASS::polr(fj, data = mfj, weights = pw, method = m, control = ctl)
    start <- exact_fit(datj, pw, m, c(s$coefficients, s$zeta), bfgs = FALSE)
    fit1 <- function(w) {
      dw <- cbind(mfj, .w = w)  # polr looks for the weights in data, then the formula's env
      r <- MASS::polr(fj, data = dw, weights = .w, method = m, control = ctl, start = start)
      exact_fit(datj, w, m, c(r$coefficients, r$zeta), bfgs = FALSE)
    }
    dev <- 2 * -sum(pw * log(score_rows(start, datj, m)$pr)) / mean(pw)
  }
  names(start) <- c(colnames(datj$X), paste(head(API_LEVELS, -1), tail(API_LEVELS, -1), sep = "|"))
  betas <- apply(rw, 2, fit1)
  vj <- svrVar(t(betas), sj$scale, sj$rscales, mse = sj$mse, coef = start)
  add_fit(cs, list(est = start, se = sqrt(diag(vj)), deviance = dev,
                   df_resid = degf(sj) - ncol(datj$X)))
  if (m != "cauchit") {  # (fails for cauchit: polr's start values)
    so <- suppressWarnings(svyolr(fj, sj, method = m, control = ctl))
    add(paste0(cs, "_svyolr"), "se", sqrt(diag(vcov(so))), names(coef(so)))
  }
}

res <- do.call(rbind, rows)
write.csv(res, file.path(outdir, "fixtures_olr.csv"), row.names = FALSE)
cat("wrote", nrow(res), "reference values\n")
