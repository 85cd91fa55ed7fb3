# Reference numbers for calibrate()'s trim=, aggregate.stage=, bounds.const= and variance=
# (survey.design2 designs); R 4.2.2 with survey 4.1.1 (Debian).
# Run from the repository root:  Rscript tests/reference/survey/make_fixtures_calibrate.R
# Reads the api datasets beside this script and writes fixtures_calibrate.csv, a long table
# (case, variable, domain, level, quantity, value) read by tests/survey/test_calibrate_more.py.
# Per case: the calibrated weights' sum, min, max and sum of squares; svymean and svytotal
# (estimate, SE) of api00, enroll (na.rm) and the proportion yes = (sch.wide == "Yes"); and
# svyby(~api00, ~stype, svymean).
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

apistrat <- read.csv(file.path(outdir, "apistrat.csv"))
apiclus1 <- read.csv(file.path(outdir, "apiclus1.csv"))
apiclus2 <- read.csv(file.path(outdir, "apiclus2.csv"))
strat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)
clus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
clus2 <- svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, weights = ~pw, data = apiclus2)
pop.types <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
clus1_ps <- postStratify(clus1, ~stype, pop.types)  # weights now vary within districts
clus2_ps <- postStratify(clus2, ~stype, pop.types)
clus1_noH <- subset(clus1, stype != "H")  # R drops the rows (an uncalibrated design)

pop <- c(`(Intercept)` = 6194, api99 = 3914069, enroll = 3811472)
popc <- c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018, api99 = 3914069)
pops <- c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018)
pop99 <- c(`(Intercept)` = 6194, api99 = 3914069)
cal <- function(...) suppressMessages(calibrate(...))
f2 <- ~api99 + enroll
fc <- ~stype + api99

cases <- list(
  # trim= (g = ratio of calibrated to design weights clipped to the range, excess spread)
  strat_lin_trim = cal(strat, f2, pop, bounds = c(0.5, 2), trim = c(0.95, 1.15)),
  strat_rake_trim = cal(strat, f2, pop, calfun = "raking", trim = c(0.95, 1.15)),
  strat_logit_trim = cal(strat, f2, pop, calfun = "logit", bounds = c(0.8, 1.5),
                         trim = c(0.95, 1.15)),
  # one Newton step (maxit = 1: "Failed to converge"), then trimmed: R keeps it
  strat_rake_maxit1_trim = suppressWarnings(cal(strat, f2, pop, calfun = "raking", maxit = 1,
                                                trim = c(0.95, 1.15))),
  # unbounded linear calibration goes to regcalibrate, which ignores trim=
  strat_lin_trim_ignored = cal(strat, f2, pop, trim = c(0.95, 1.15)),
  # bounds.const= (bounds on the calibrated weights)
  strat_lin_bconst = cal(strat, f2, pop, bounds = c(17, 50), bounds.const = TRUE),
  strat_rake_bconst = cal(strat, f2, pop, calfun = "raking", bounds = c(17, 50),
                          bounds.const = TRUE),
  strat_logit_bconst = cal(strat, f2, pop, calfun = "logit", bounds = c(12, 50),
                           bounds.const = TRUE),
  # variance= (per row, or coefficients on the model matrix columns)
  strat_lin_var_rows = cal(strat, f2, pop, variance = apistrat$enroll),
  strat_lin_var_coef = cal(strat, f2, pop, variance = c(0, 1, 0)),
  strat_rake_var_rows = cal(strat, f2, pop, calfun = "raking", variance = apistrat$enroll),
  # aggregate.stage=1 (g constant within districts)
  clus1_agg_stype = cal(clus1, ~stype, pops, aggregate.stage = 1),
  clus1_agg_api99 = cal(clus1, ~api99, pop99, aggregate.stage = 1),
  clus1_agg_lin_bounded = cal(clus1, fc, popc, bounds = c(0.3, 3), aggregate.stage = 1),
  clus1_agg_rake = cal(clus1, fc, popc, calfun = "raking", aggregate.stage = 1),
  clus1_agg_rake_trim = cal(clus1, fc, popc, calfun = "raking", aggregate.stage = 1,
                            trim = c(0.9, 1.1)),
  clus1_agg_var_rows = cal(clus1, ~api99, pop99, aggregate.stage = 1,
                           variance = apiclus1$enroll),
  clus1_agg_rake_var_rows = cal(clus1, ~api99, pop99, calfun = "raking", aggregate.stage = 1,
                                variance = apiclus1$enroll),
  # some g < 0 here
  clus1_agg_negative = cal(clus1, fc, popc, aggregate.stage = 1),
  # averages of weights that vary within districts; a second calibration step
  clus1_ps_agg_rake = cal(clus1_ps, ~api99, pop99, calfun = "raking", aggregate.stage = 1),
  # averages over the rows of a subset
  clus1_noH_agg = cal(clus1_noH, ~api99, c(`(Intercept)` = 5439, api99 = 3500000),
                      aggregate.stage = 1),
  clus2_agg_lin = cal(clus2, fc, popc, aggregate.stage = 1),
  clus2_agg_rake = cal(clus2, fc, popc, calfun = "raking", aggregate.stage = 1),
  # the averaged weights enter the stage-2 (school) variance
  clus2_ps_agg_rake = cal(clus2_ps, ~api99, pop99, calfun = "raking", aggregate.stage = 1),
  clus2_agg_stage2 = cal(clus2, ~api99, pop99, calfun = "raking", aggregate.stage = 2)
)

for (nm in names(cases)) {
  d <- cases[[nm]]
  w <- weights(d)
  add(nm, "w_sum", sum(w))
  add(nm, "w_min", min(w))
  add(nm, "w_max", max(w))
  add(nm, "w_sumsq", sum(w^2))
  for (v in c("api00", "enroll", "yes")) {
    f <- as.formula(paste0("~", v))
    m <- svymean(f, d, na.rm = TRUE)
    add(nm, "estimate", coef(m), v)
    add(nm, "se", SE(m), v)
    t <- svytotal(f, d, na.rm = TRUE)
    add(paste0(nm, ":total"), "estimate", coef(t), v)
    add(paste0(nm, ":total"), "se", SE(t), v)
  }
  b <- svyby(~api00, ~stype, d, svymean)
  add(paste0(nm, ":by"), "estimate", coef(b), "api00", b$stype)
  add(paste0(nm, ":by"), "se", SE(b), "api00", b$stype)
}

out <- do.call(rbind, rows)
write.csv(out, file.path(outdir, "fixtures_calibrate.csv"), row.names = FALSE)
message(nrow(out), " values written to fixtures_calibrate.csv")
