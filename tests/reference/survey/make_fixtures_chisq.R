# Reference numbers for every statistic of R's svychisq (F, Chisq, Wald, adjWald, lincom,
# saddlepoint) on Taylor designs (apistrat, apiclus1, apiclus2, nhanes) and replicate designs
# (apistrat JKn from as.svrepdesign, scd with supplied BRR weights).
# Run from the repository root:  Rscript tests/reference/survey/make_fixtures_chisq.R
# Writes fixtures_chisq.csv (case, variable, domain, level, quantity, value), read by
# tests/survey/test_crosstab_stats.py.
#
# Needs the CompQuadForm package: without it svychisq(statistic = "lincom") warns and returns
# the saddlepoint approximation instead of the exact tail (Davies' algorithm on Taylor designs,
# Farebrother's on replicate designs with positive weights). Those algorithms run at their
# default accuracy inside svychisq (Davies acc = 1e-7 absolute, Farebrother eps = 1e-10), so for
# lincom the script also records, as `p_precise`, the same probability evaluated from the very
# arguments svychisq passed to pFsum/pchisqsum (captured with trace()) by the same algorithm at
# a tighter accuracy (Davies acc = 1e-12, Farebrother eps = 1e-16), and those arguments
# themselves (`weight`: the eigenvalues of Delta, `ddf`).
suppressMessages(library(survey))
if (!requireNamespace("CompQuadForm", quietly = TRUE)) {
  stop("CompQuadForm is needed for svychisq(statistic = 'lincom') to integrate")
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

captured <- NULL
invisible(trace("pFsum", tracer = quote(captured <<- list(x = x, a = a, ddf = ddf)),
                where = asNamespace("survey"), print = FALSE))
invisible(trace("pchisqsum", tracer = quote(captured <<- list(x = x, a = a, ddf = Inf)),
                where = asNamespace("survey"), print = FALSE))

precise_tail <- function(cp) {
  if (is.finite(cp$ddf)) {  # Taylor designs: Davies, as pFsum, at a tighter accuracy
    r <- CompQuadForm::davies(0, lambda = c(cp$a, -cp$x / cp$ddf),
                              h = c(rep(1, length(cp$a)), cp$ddf), acc = 1e-12, lim = 1e7)
    if (r$ifault != 0) stop("davies: ifault ", r$ifault)
    return(r$Qq)
  }
  if (any(cp$a <= 0)) stop("replicate weights <= 0: pchisqsum would use davies")
  # replicate designs: Farebrother, as pchisqsum, with its series summed to eps = 1e-16
  CompQuadForm::farebrother(cp$x, cp$a, eps = 1e-16)$Qq
}

tables <- function(design_name, design, formulas) {
  for (f in formulas) {
    v <- paste(all.vars(f), collapse = "~")
    for (st in c("F", "Chisq", "Wald", "adjWald", "lincom", "saddlepoint")) {
      captured <<- NULL
      x <- svychisq(f, design, statistic = st)
      cs <- paste0(design_name, ":", st)
      add(cs, "statistic", x$statistic, v)
      add(cs, "p_value", x$p.value, v)
      if (!is.null(x$parameter)) {
        add(cs, "ndf", x$parameter[1], v)
        if (length(x$parameter) > 1) add(cs, "ddf", x$parameter[2], v)
      }
      if (st == "lincom") {
        add(cs, "weight", captured$a, v, level = seq_along(captured$a))
        add(cs, "ddf", captured$ddf, v)
        add(cs, "p_precise", precise_tail(captured), v)
      }
    }
  }
}

band <- function(y) as.character(cut(y, c(0, 550, 650, 750, 1000)))
apistrat <- read.csv(file.path(outdir, "apistrat.csv"))
apiclus1 <- read.csv(file.path(outdir, "apiclus1.csv"))
apiclus2 <- read.csv(file.path(outdir, "apiclus2.csv"))
apistrat$api_band <- band(apistrat$api00)
apiclus1$api_band <- band(apiclus1$api00)
api_tables <- list(~stype + sch.wide, ~stype + awards, ~stype + api_band)

strat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
tables("strat", strat, api_tables)
tables("clus1", svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1), api_tables)
tables("clus2", svydesign(id = ~dnum + snum, weights = ~pw, fpc = ~fpc1 + fpc2, data = apiclus2),
       list(~stype + sch.wide, ~stype + awards))
tables("strat_jkn", as.svrepdesign(strat, type = "JKn"), api_tables)

nhanes <- read.csv(file.path(outdir, "nhanes.csv"))
nh <- svydesign(id = ~SDMVPSU, strata = ~SDMVSTRA, weights = ~WTMEC2YR, nest = TRUE, data = nhanes)
tables("nh", nh, list(~agecat + RIAGENDR, ~agecat + race))

scd <- read.csv(file.path(outdir, "scd.csv"))
scd$big <- scd$arrests > 200
brr <- suppressWarnings(svrepdesign(data = scd, type = "BRR",  # equal weights, as R warns
                                    repweights = as.matrix(scd[, paste0("brr", 1:4)]),
                                    combined.weights = FALSE))
tables("scd_brr", brr, list(~big + ambulance))

out <- do.call(rbind, rows)
write.csv(out, file.path(outdir, "fixtures_chisq.csv"), row.names = FALSE)
cat("wrote", nrow(out), "rows\n")
