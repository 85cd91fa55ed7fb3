# Reference numbers for commeval.survey.compare_years when a survey year was drawn by PPS: the
# sample district's 2012 villages given inclusion probabilities (within each stratum the
# villages in byte order of their PSU id get 0.30, 0.35, 0.40, ... — a made-up PPS draw; the
# weights stay the file's), 2011 left as drawn (stratified SRS of villages, fpc = villages in
# the stratum). Read straight from the raw survey file (Chinese headers; 说不清 = 9 and anything
# outside 1-5 is missing), independent of commeval's ingestion.
# Run from the repository root (R 4.x, survey 4.1.1):
#   Rscript tests/reference/survey/make_fixtures_years_pps.R
# Writes fixtures_years_pps.csv (case, variable, domain, level, quantity, value), read by
# tests/survey/test_compare_years.py:
#   year_means  each year in its own design — 2011 svydesign(ids=~pid, strata=~stratum,
#               fpc=~fpc), 2012 svydesign(..., fpc=~prob, pps="brewer") — svymean overall and
#               svyby(~y, ~township) means and SEs
#   means       the same from ONE pooled design: strata = year x stratum (PSUs nested),
#               pps = "brewer", fpc = each village's inclusion probability (2012: its prob;
#               2011: sampled villages / villages of the stratum, which makes Brewer's variance
#               the SRS-without-replacement one)
#   overall     svyttest(y ~ year, pooled): difference, t, df, p, CI
#   township    svyttest(y ~ year, subset(pooled, township == t))
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

# 2012: made-up inclusion probabilities, 0.30 + 0.05 k for the k-th village (k = 0, 1, ...) of
# its stratum in byte order of the PSU id
d$prob <- NA_real_
for (h in unique(d$stratum[d$year == 2012])) {
  sel <- d$year == 2012 & d$stratum == h
  v <- sort(enc2utf8(unique(d$psu[sel])), method = "radix")  # bytes, as Python sorts
  d$prob[sel] <- 0.30 + 0.05 * (match(enc2utf8(d$psu[sel]), v) - 1)
}
# 2011 (SRS): the probability of each village, sampled villages / villages of the stratum
for (h in unique(d$stratum[d$year == 2011])) {
  sel <- d$year == 2011 & d$stratum == h
  d$prob[sel] <- length(unique(d$psu[sel])) / d$fpc[sel]
}

# PSU ids as integers numbered in order of first appearance, the rows sorted by year, stratum
# and PSU: R's onestrat() takes each PSU's Brewer factor (1 - pi_i) n / (n - 1) in order of
# first appearance of the PSU but sums the PSU totals in sorted order of the ids, so with
# character ids in file order it pairs PSUs with other PSUs' probabilities (survey 4.1.1);
# with these ids the two orders agree and R computes Brewer's formula
d <- d[order(d$year, enc2utf8(d$stratum), enc2utf8(d$psu), method = "radix"), ]
key <- paste(d$year, d$psu)
d$pid <- match(key, unique(key))

d11 <- d[d$year == 2011, ]
d12 <- d[d$year == 2012, ]
own <- list(
  "2011" = svydesign(ids = ~pid, strata = ~stratum, fpc = ~fpc, weights = ~weight, data = d11),
  "2012" = svydesign(ids = ~pid, strata = ~stratum, fpc = ~prob, weights = ~weight,
                     pps = "brewer", data = d12)
)
d$ystratum <- paste(d$year, d$stratum)
d$year <- factor(d$year)
d$township <- factor(d$township)
# pid is unique over both years, so the PSUs are nested in year x stratum without nest = TRUE
# (which would re-code them as interaction(stratum, pid), whose sorted order is not the rows')
pooled <- svydesign(ids = ~pid, strata = ~ystratum, fpc = ~prob, weights = ~weight,
                    pps = "brewer", data = d)

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
  f <- as.formula(paste("~", v))
  for (y in names(own)) {
    m <- svymean(f, own[[y]], na.rm = TRUE)
    add("year_means", "estimate", coef(m), v, "", y)
    add("year_means", "se", SE(m), v, "", y)
    by <- svyby(f, ~township, own[[y]], svymean, na.rm = TRUE)
    for (i in seq_len(nrow(by))) {
      add("year_means", "estimate", by[[v]][i], v, by$township[i], y)
      add("year_means", "se", SE(by)[i], v, by$township[i], y)
    }
  }
  ttest("overall", v, "", pooled)
  for (t in levels(d$township)) {
    ttest("township", v, t, subset(pooled, township == t))
  }
  by <- svyby(f, ~township + year, pooled, svymean, na.rm = TRUE)
  for (i in seq_len(nrow(by))) {
    add("means", "estimate", by[[v]][i], v, by$township[i], by$year[i])
    add("means", "se", SE(by)[i], v, by$township[i], by$year[i])
  }
}

out <- do.call(rbind, rows)
write.csv(out, file.path(outdir, "fixtures_years_pps.csv"), row.names = FALSE,
          fileEncoding = "UTF-8")
cat("wrote", nrow(out), "values\n")
