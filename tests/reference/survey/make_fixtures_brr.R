# Reference numbers for BRR/Fay half-samples when strata do not all have exactly 2 PSUs:
# as.svrepdesign(type = "BRR"/"Fay", small = "split"/"merge", large = "split"/"merge"),
# i.e. brrweights' pseudo-strata. Designs:
#   st   apiclus1 (rows shuffled) with its 15 districts put in 7 strata of 1, 1, 1, 2, 3, 4, 3 PSUs
#   st2  the same without district 815, 14 districts in 7 strata of 1, 1, 1, 1, 2, 4, 4 PSUs
#   nh   nhanes (stratum 86 has 3 PSUs) with large = "merge"
# Run from the repository root:  Rscript tests/reference/survey/make_fixtures_brr.R
# Writes brr_strata.csv (the st/st2 data) and fixtures_brr.csv, a long table
# (case, variable, domain, level, quantity, value) read by tests/survey/test_brr_strata.py.
suppressMessages(library(survey))
outdir <- "tests/reference/survey"
rows <- list()
add <- function(case, quantity, value, variable = "", domain = "", level = "") {
  rows[[length(rows) + 1]] <<- data.frame(
    case = case, variable = variable, domain = as.character(domain),
    level = as.character(level), quantity = quantity, value = as.numeric(value)
  )
}
add_stat <- function(case, est, domain = "", level = "") {
  add(case, "estimate", coef(est), names(coef(est)), domain, level)
  add(case, "se", SE(est), names(coef(est)), domain, level)
}

data(api)
set.seed(20261202)
df <- apiclus1[sample(nrow(apiclus1)), c("dnum", "snum", "stype", "api00", "enroll", "pw")]
st <- c("637" = "s1", "61" = "s10", "448" = "s2", "135" = "s3", "716" = "s3",
        "178" = "s4", "510" = "s4", "815" = "s4", "197" = "s5", "255" = "s5", "406" = "s5",
        "568" = "s5", "413" = "s6", "437" = "s6", "778" = "s6")
st2 <- c("61" = "t1", "135" = "t2", "178" = "t11", "197" = "t3", "255" = "t4", "406" = "t4",
         "413" = "t5", "437" = "t5", "448" = "t5", "510" = "t5", "568" = "t6", "637" = "t6",
         "716" = "t6", "778" = "t6", "815" = "")
df$st <- unname(st[as.character(df$dnum)])
df$st2 <- unname(st2[as.character(df$dnum)])
write.csv(df, file.path(outdir, "brr_strata.csv"), row.names = FALSE)

d1 <- svydesign(id = ~dnum, strata = ~st, weights = ~pw, data = df)
d2 <- svydesign(id = ~dnum, strata = ~st2, weights = ~pw, data = df[df$st2 != "", ])
nh <- svydesign(id = ~SDMVPSU, strata = ~SDMVSTRA, weights = ~WTMEC2YR, nest = TRUE,
                data = read.csv(file.path(outdir, "nhanes.csv")))
S <- matrix(1); for (i in 1:4) S <- rbind(cbind(S, S), cbind(S, -S))

record <- function(cs, d, psu, vars, by) {
  add(cs, "degf", degf(d)); add(cs, "scale", d$scale); add(cs, "replicates", ncol(d$repweights))
  # replicate factors of each PSU (rows of the compressed weights, by first appearance)
  rw <- d$repweights
  first <- !duplicated(psu)
  for (j in which(first)) {
    add(paste0(cs, ":factor"), "factor", rw$weights[rw$index[j], ], psu[j],
        level = seq_len(ncol(rw$weights)))
  }
  for (v in vars) {  # one at a time: na.rm drops only that variable's missing rows
    f <- as.formula(paste("~", v))
    add_stat(paste0(cs, ":mean"), svymean(f, d, na.rm = TRUE))
    add_stat(paste0(cs, ":total"), svytotal(f, d, na.rm = TRUE))
  }
  b <- svyby(as.formula(paste("~", vars[1])), as.formula(paste("~", by)), d, svymean,
             na.rm = TRUE)
  add(paste0(cs, ":by"), "estimate", coef(b), vars[1], by, b[[by]])
  add(paste0(cs, ":by"), "se", SE(b), vars[1], by, b[[by]])
}

api_vars <- c("api00", "enroll")
for (rho in c(0, 0.3)) {
  ty <- if (rho == 0) "BRR" else "Fay"
  sfx <- if (rho == 0) "brr" else "fay"
  psu1 <- as.character(d1$variables$dnum)
  psu2 <- as.character(d2$variables$dnum)
  record(paste0("st_mm_", sfx), as.svrepdesign(d1, type = ty, fay.rho = rho,
         small = "merge", large = "merge"), psu1, api_vars, "stype")
  record(paste0("st_sm_", sfx), as.svrepdesign(d1, type = ty, fay.rho = rho,
         small = "split", large = "merge"), psu1, api_vars, "stype")
  record(paste0("st2_ms_", sfx), as.svrepdesign(d2, type = ty, fay.rho = rho,
         small = "merge"), psu2, api_vars, "stype")
  # 9 pseudo-strata: R's hadamard(9) has order 12, so pass Sylvester 16 in both
  record(paste0("st2_ss_", sfx), as.svrepdesign(d2, type = ty, fay.rho = rho,
         small = "split", large = "split", hadamard.matrix = S), psu2, api_vars, "stype")
  psun <- paste(nh$variables$SDMVSTRA, nh$variables$SDMVPSU, sep = ".")
  record(paste0("nh_merge_", sfx), as.svrepdesign(nh, type = ty, fay.rho = rho,
         large = "merge"), psun, c("HI_CHOL", "RIAGENDR"), "race")
}

# R's errors for the defaults (small = "fail", large = "split")
err <- function(expr) tryCatch({ expr; "" }, error = function(e) conditionMessage(e))
cat("d1 default:", err(as.svrepdesign(d1, type = "BRR")), "\n")
cat("d1 small=merge:", err(as.svrepdesign(d1, type = "BRR", small = "merge")), "\n")
cat("nh default:", err(as.svrepdesign(nh, type = "BRR")), "\n")
cat("large=fail:", err(as.svrepdesign(d2, type = "BRR", small = "merge", large = "fail")), "\n")

out <- do.call(rbind, rows)
write.csv(out, file.path(outdir, "fixtures_brr.csv"), row.names = FALSE)
cat("wrote", nrow(out), "reference values\n")
