# Reference numbers for commeval.survey, produced by R's survey package (Lumley).
# Run from the repository root:  Rscript tests/reference/survey/make_fixtures.R
# Writes the api datasets (apistrat, apiclus1, apiclus2, lonely) and fixtures.csv, a long
# table (case, variable, domain, level, quantity, value) read by tests/survey/.
suppressMessages(library(survey))
data(api)
outdir <- "tests/reference/survey"
options(survey.lonely.psu = "fail")

# --- synthetic questionnaire items derived deterministically from the api data ----------
likertise <- function(d) {
  d$q1 <- as.integer(cut(d$api00, breaks = c(-Inf, 550, 620, 690, 760, Inf)))
  d$q2 <- as.integer(cut(d$api99, breaks = c(-Inf, 520, 600, 680, 750, Inf)))
  d$q3 <- as.integer(cut(100 - d$meals, breaks = c(-Inf, 20, 40, 60, 80, Inf)))
  d$q1[d$snum %% 11 == 0] <- 9L        # 9 = "don't know"
  d$q2[d$snum %% 13 == 0] <- NA        # item non-response
  d$o1 <- as.integer(d$sch.wide == "Yes")
  d$o2 <- as.integer(d$comp.imp == "Yes")
  d$o3 <- as.integer(d$awards == "Yes")
  d$o3[d$snum %% 7 == 0] <- NA
  d$yes <- as.integer(d$sch.wide == "Yes")
  d
}
apistrat <- likertise(apistrat)
apiclus1 <- likertise(apiclus1)
apiclus2 <- likertise(apiclus2)
# a lonely-PSU variant of apiclus1: stratum 1 holds a single district
ud <- sort(unique(apiclus1$dnum))
lonely <- apiclus1
lonely$st <- ifelse(lonely$dnum == ud[1], 1L, ifelse(lonely$dnum %in% ud[2:8], 2L, 3L))

keep <- function(d) d[, !(names(d) %in% c("name", "sname", "dname", "cname"))]
write.csv(keep(apistrat), file.path(outdir, "apistrat.csv"), row.names = FALSE)
write.csv(keep(apiclus1), file.path(outdir, "apiclus1.csv"), row.names = FALSE)
write.csv(keep(apiclus2), file.path(outdir, "apiclus2.csv"), row.names = FALSE)
write.csv(keep(lonely), file.path(outdir, "lonely.csv"), row.names = FALSE)

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
  if (deff) add(case, "deff", deff(est), variable, domain, level)
}
add_by <- function(case, res, variable, byvar) {
  dom <- as.character(res[[byvar]])
  add(case, "estimate", coef(res), variable, dom)
  add(case, "se", SE(res), variable, dom)
  dd <- tryCatch(deff(res), error = function(e) NULL)
  if (length(dd)) add(case, "deff", dd, variable, dom)
}

designs <- list(
  strat = svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc),
  clus1 = svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc),
  clus2 = svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, weights = ~pw, data = apiclus2),
  clus2nofpc = svydesign(id = ~dnum + snum, weights = ~pw, data = apiclus2)
)
pop.types <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
pop.schwide <- data.frame(sch.wide = c("No", "Yes"), Freq = c(1072, 5122))
designs$clus1_ps <- postStratify(designs$clus1, ~stype, pop.types)
designs$clus2_ps <- postStratify(designs$clus2nofpc, ~stype, pop.types)
designs$strat_ps <- postStratify(designs$strat, ~sch.wide, pop.schwide)
designs$clus1_rake <- rake(designs$clus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide),
                           control = list(maxit = 200, epsilon = 1e-12))
designs$clus1_greg <- calibrate(designs$clus1, ~api99, c(`(Intercept)` = 6194, api99 = 3914069))
designs$strat_greg <- calibrate(designs$strat, ~api99 + enroll,
                                c(`(Intercept)` = 6194, api99 = 3914069, enroll = 3811472))

for (nm in names(designs)) {
  d <- designs[[nm]]
  add(nm, "degf", degf(d))
  for (v in c("api00", "enroll", "q2")) {
    add_stat(nm, svymean(as.formula(paste0("~", v)), d, na.rm = TRUE, deff = TRUE), v, deff = TRUE)
    add_stat(paste0(nm, ":total"), svytotal(as.formula(paste0("~", v)), d, na.rm = TRUE, deff = TRUE),
             v, deff = TRUE)
  }
  add_by(paste0(nm, ":by"), svyby(~api00, ~stype, d, svymean, deff = TRUE), "api00", "stype")
  add_by(paste0(nm, ":by"), svyby(~q2, ~stype, d, svymean, na.rm = TRUE, deff = TRUE), "q2", "stype")
  add_by(paste0(nm, ":bytotal"), svyby(~enroll, ~comp.imp, d, svytotal, na.rm = TRUE), "enroll", "comp.imp")
  add_stat(paste0(nm, ":subset"), svymean(~api00, subset(d, sch.wide == "Yes")), "api00")
  r <- svyratio(~api.stu, ~enroll, d, na.rm = TRUE)
  add(paste0(nm, ":ratio"), "estimate", coef(r), "api.stu/enroll")
  add(paste0(nm, ":ratio"), "se", SE(r), "api.stu/enroll")
  rb <- svyby(~api.stu, ~stype, d, svyratio, denominator = ~enroll, na.rm = TRUE)
  add(paste0(nm, ":ratioby"), "estimate", coef(rb), "api.stu/enroll", rb$stype)
  add(paste0(nm, ":ratioby"), "se", SE(rb), "api.stu/enroll", rb$stype)
  q <- svyquantile(~api00, d, c(0.25, 0.5, 0.75), ci = TRUE)$api00
  for (i in 1:3) {
    lv <- c("0.25", "0.5", "0.75")[i]
    add(paste0(nm, ":quantile"), "estimate", q[i, 1], "api00", level = lv)
    add(paste0(nm, ":quantile"), "ci_low", q[i, 2], "api00", level = lv)
    add(paste0(nm, ":quantile"), "ci_high", q[i, 3], "api00", level = lv)
    add(paste0(nm, ":quantile"), "se", q[i, 4], "api00", level = lv)
  }
  for (m in c("logit", "beta", "mean")) {
    for (lv in c("E", "H", "M")) {
      p <- svyciprop(as.formula(sprintf("~I(stype == '%s')", lv)), d, method = m)
      add(paste0(nm, ":prop_", m), "estimate", coef(p), "stype", level = lv)
      add(paste0(nm, ":prop_", m), "se", SE(p), "stype", level = lv)
      add(paste0(nm, ":prop_", m), "ci_low", confint(p)[1], "stype", level = lv)
      add(paste0(nm, ":prop_", m), "ci_high", confint(p)[2], "stype", level = lv)
    }
  }
  pb <- svyby(~I(sch.wide == "Yes"), ~stype, d, svyciprop, vartype = c("se", "ci"))
  add(paste0(nm, ":propby"), "estimate", coef(pb), "sch.wide", pb$stype, "Yes")
  add(paste0(nm, ":propby"), "se", SE(pb), "sch.wide", pb$stype, "Yes")
  add(paste0(nm, ":propby"), "ci_low", pb$ci_l, "sch.wide", pb$stype, "Yes")
  add(paste0(nm, ":propby"), "ci_high", pb$ci_u, "sch.wide", pb$stype, "Yes")
  for (st in c("F", "Chisq")) {
    x <- svychisq(~sch.wide + stype, d, statistic = st)
    add(paste0(nm, ":chisq_", st), "statistic", x$statistic, "sch.wide~stype")
    add(paste0(nm, ":chisq_", st), "p_value", x$p.value, "sch.wide~stype")
    if (st == "F") {
      add(paste0(nm, ":chisq_", st), "ndf", x$parameter[1], "sch.wide~stype")
      add(paste0(nm, ":chisq_", st), "ddf", x$parameter[2], "sch.wide~stype")
    } else add(paste0(nm, ":chisq_", st), "df", x$parameter[1], "sch.wide~stype")
  }
  g1 <- svyglm(api00 ~ ell + meals + mobility, design = d)
  g2 <- svyglm(yes ~ ell + meals, design = d, family = quasibinomial())
  g3 <- suppressWarnings(svyglm(yes ~ ell + meals, design = d, family = binomial()))
  for (gg in list(list("gaussian", g1), list("quasibinomial", g2), list("binomial", g3))) {
    s <- summary(gg[[2]])$coefficients
    ci <- confint(gg[[2]])
    cs <- paste0(nm, ":glm_", gg[[1]])
    add(cs, "estimate", s[, 1], rownames(s))
    add(cs, "se", s[, 2], rownames(s))
    add(cs, "p_value", s[, 4], rownames(s))
    add(cs, "ci_low", ci[, 1], rownames(s))
    add(cs, "ci_high", ci[, 2], rownames(s))
    add(cs, "df_resid", gg[[2]]$df.residual, "")
  }
  a <- svycralpha(~api00 + api99 + full, d)
  add(paste0(nm, ":alpha"), "alpha", a, "api00+api99+full")
  tt <- svyttest(api00 ~ I(stype == "E"), subset(d, stype %in% c("E", "H")))
  add(paste0(nm, ":ttest"), "difference", tt$estimate, "api00", "E-H")
  add(paste0(nm, ":ttest"), "t", tt$statistic, "api00", "E-H")
  add(paste0(nm, ":ttest"), "df", tt$parameter, "api00", "E-H")
  add(paste0(nm, ":ttest"), "p_value", tt$p.value, "api00", "E-H")
  # questionnaire helpers: Likert item q1 (9 = don't know), 0/1 options o1..o3
  dk <- svyciprop(~I(q1 == 9), d, method = "logit")
  add(paste0(nm, ":likert"), "estimate", coef(dk), "q1", level = "dont_know")
  add(paste0(nm, ":likert"), "se", SE(dk), "q1", level = "dont_know")
  add(paste0(nm, ":likert"), "ci_low", confint(dk)[1], "q1", level = "dont_know")
  dv <- subset(d, q1 != 9)
  mm <- svymean(~q1, dv)
  add(paste0(nm, ":likert"), "estimate", coef(mm), "q1", level = "mean")
  add(paste0(nm, ":likert"), "se", SE(mm), "q1", level = "mean")
  t2 <- svyciprop(~I(q1 >= 4), dv, method = "logit")
  add(paste0(nm, ":likert"), "estimate", coef(t2), "q1", level = "top2")
  add(paste0(nm, ":likert"), "se", SE(t2), "q1", level = "top2")
  add(paste0(nm, ":likert"), "ci_low", confint(t2)[1], "q1", level = "top2")
  add(paste0(nm, ":likert"), "ci_high", confint(t2)[2], "q1", level = "top2")
  for (k in 1:5) {
    pk <- svyciprop(as.formula(sprintf("~I(q1 == %d)", k)), dv, method = "logit")
    add(paste0(nm, ":likert"), "estimate", coef(pk), "q1", level = k)
    add(paste0(nm, ":likert"), "se", SE(pk), "q1", level = k)
    add(paste0(nm, ":likert"), "ci_high", confint(pk)[2], "q1", level = k)
  }
  for (o in c("o1", "o2", "o3")) {
    # zero-filled copy: calibrated subsets keep the excluded rows, whose NA would propagate
    d0 <- d
    d0$variables$oz <- ifelse(is.na(d0$variables[[o]]), 0, d0$variables[[o]])
    po <- svyciprop(~oz, subset(d0, !is.na(d0$variables[[o]])), method = "logit")
    add(paste0(nm, ":mr"), "estimate", coef(po), o)
    add(paste0(nm, ":mr"), "se", SE(po), o)
    add(paste0(nm, ":mr"), "ci_low", confint(po)[1], o)
    add(paste0(nm, ":mr"), "ci_high", confint(po)[2], o)
  }
}

# naive domain: subsetting the data before building the design (the classic bug)
naive <- svydesign(id = ~dnum, weights = ~pw, data = subset(apiclus1, stype == "H"), fpc = ~fpc)
add_stat("clus1:naive_subset", svymean(~api00, naive), "api00")
add_stat("clus1:subsetH", svymean(~api00, subset(designs$clus1, stype == "H")), "api00")

# lonely PSUs
for (opt in c("remove", "adjust", "certainty", "average")) {
  options(survey.lonely.psu = opt)
  dl <- svydesign(id = ~dnum, strata = ~st, weights = ~pw, data = lonely)
  add_stat(paste0("lonely_", opt), svymean(~api00, dl), "api00")
  add_stat(paste0("lonely_", opt, ":total"), svytotal(~enroll, dl), "enroll")
  add_by(paste0("lonely_", opt, ":by"), svyby(~api00, ~stype, dl, svymean), "api00", "stype")
  dlf <- svydesign(id = ~dnum, strata = ~st, weights = ~pw, data = lonely, fpc = ~fpc)
  add_stat(paste0("lonelyfpc_", opt), svymean(~api00, dlf), "api00")
}
options(survey.lonely.psu = "fail")

# replicate designs
reps <- list(
  clus1_jk1 = as.svrepdesign(designs$clus1, type = "JK1"),
  strat_jkn = as.svrepdesign(designs$strat, type = "JKn"),
  clus2_jk1 = as.svrepdesign(designs$clus2nofpc, type = "JK1")
)
for (nm in names(reps)) {
  d <- reps[[nm]]
  add(nm, "degf", degf(d))
  add(nm, "scale", d$scale)
  for (v in c("api00", "enroll")) {
    add_stat(nm, svymean(as.formula(paste0("~", v)), d, na.rm = TRUE), v)
    add_stat(paste0(nm, ":total"), svytotal(as.formula(paste0("~", v)), d, na.rm = TRUE), v)
  }
  add_by(paste0(nm, ":by"), svyby(~api00, ~stype, d, svymean), "api00", "stype")
  r <- svyratio(~api.stu, ~enroll, d, na.rm = TRUE)
  add(paste0(nm, ":ratio"), "estimate", coef(r), "api.stu/enroll")
  add(paste0(nm, ":ratio"), "se", SE(r), "api.stu/enroll")
  for (m in c("logit", "mean")) {
    for (lv in c("E", "H", "M")) {
      p <- svyciprop(as.formula(sprintf("~I(stype == '%s')", lv)), d, method = m)
      add(paste0(nm, ":prop_", m), "estimate", coef(p), "stype", level = lv)
      add(paste0(nm, ":prop_", m), "se", SE(p), "stype", level = lv)
      add(paste0(nm, ":prop_", m), "ci_low", confint(p)[1], "stype", level = lv)
      add(paste0(nm, ":prop_", m), "ci_high", confint(p)[2], "stype", level = lv)
    }
  }
  g1 <- svyglm(api00 ~ ell + meals + mobility, design = d)
  s <- summary(g1)$coefficients
  add(paste0(nm, ":glm_gaussian"), "estimate", s[, 1], rownames(s))
  add(paste0(nm, ":glm_gaussian"), "se", s[, 2], rownames(s))
}

# trimmed weights
dt <- trimWeights(designs$clus2nofpc, upper = 60, lower = 20)
add_stat("clus2_trim", svymean(~api00, dt), "api00")
add("clus2_trim", "weight_sum", sum(weights(dt)))

res <- do.call(rbind, rows)
write.csv(res, file.path(outdir, "fixtures.csv"), row.names = FALSE)
cat("wrote", nrow(res), "reference values\n")
