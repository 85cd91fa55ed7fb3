# Reference numbers for commeval.survey.compare_years: the sample district's two survey years
# pooled in one design whose strata are year x stratum (nest = TRUE), as a researcher would
# build it in R. Read straight from the raw survey file of the sample district (Chinese
# headers; 说不清 = 9 and anything outside 1-5 is missing), independent of commeval's ingestion.
# Run from the repository root (R 4.x, survey 4.1.1):
#   Rscript tests/reference/survey/make_fixtures_years.R
# Writes fixtures_years.csv (case, variable, domain, level, quantity, value), read by
# tests/survey/test_compare_years.py:
#   overall  svyttest(y ~ year, pooled): the 2012 - 2011 difference, t, df, p, CI
#   township svyttest(y ~ year, subset(pooled, township == t)): each township's own df
#   joint    regTermTest(svyglm(y ~ township + township:year, pooled), ~township:year)
#   means    svyby(~y, ~township + year, pooled, svymean): domain means and SEs
suppressMessages(library(survey))
options(survey.lonely.psu = "adjust")
outdir <- "tests/reference/survey"
rows <- list()
add <- function(case, quantity, value, variable = "", domain = "", level = "") {
  rows[[length(rows) + 1]] <<- data.frame(
    case = case, variable = variable, domain = as.character(domain),
    level = as.character(level), quantity = quantity, value = as.numeric(value)
  )
}

s <- read.csv("data/raw/sample_district/survey.csv", check.names = FALSE,
              fileEncoding = "UTF-8-BOM", colClasses = "character")
d <- data.frame(
  year = as.integer(s[["调查年度"]]),
  township = s[["乡镇"]],
  stratum = s[["抽样层"]],
  psu = s[["初级抽样单元（村）"]],
  weight = as.numeric(s[["抽样权数"]]),
  fpc = as.numeric(s[["层内村总数"]]),
  sat_overall = as.numeric(s[["对农村社区建设的总体满意度"]]),
  sat_environment = as.numeric(s[["村容村貌与居住环境"]]),
  stringsAsFactors = FALSE
)
items <- c("sat_overall", "sat_environment")
for (v in items) d[[v]][!(d[[v]] %in% 1:5)] <- NA
d$ystratum <- paste(d$year, d$stratum)
d$year <- factor(d$year)
d$township <- factor(d$township)
pooled <- svydesign(ids = ~psu, strata = ~ystratum, fpc = ~fpc, weights = ~weight,
                    nest = TRUE, data = d)

ttest <- function(case, v, domain, des) {
  tt <- svyttest(as.formula(paste(v, "~ year")), des)
  add(case, "difference", tt$estimate, v, domain)
  add(case, "t", tt$statistic, v, domain)
  add(case, "df", tt$parameter, v, domain)
  add(case, "p_value", tt$p.value, v, domain)
  add(case, "ci_low", tt$conf.int[1], v, domain)
  add(case, "ci_high", tt$conf.int[2], v, domain)
}

for (v in items) {
  ttest("overall", v, "", pooled)
  for (t in levels(d$township)) {
    ttest("township", v, t, subset(pooled, township == t))
  }
  m <- svyglm(as.formula(paste(v, "~ township + township:year")), pooled)
  rt <- regTermTest(m, ~township:year)
  add("joint", "F", rt$Ftest, v)
  add("joint", "ndf", rt$df, v)
  add("joint", "ddf", rt$ddf, v)
  add("joint", "p_value", rt$p, v)
  by <- svyby(as.formula(paste("~", v)), ~township + year, pooled, svymean, na.rm = TRUE)
  for (i in seq_len(nrow(by))) {
    add("means", "estimate", by[[v]][i], v, by$township[i], by$year[i])
    add("means", "se", SE(by)[i], v, by$township[i], by$year[i])
  }
}

out <- do.call(rbind, rows)
write.csv(out, file.path(outdir, "fixtures_years.csv"), row.names = FALSE, fileEncoding = "UTF-8")
cat("wrote", nrow(out), "values\n")
