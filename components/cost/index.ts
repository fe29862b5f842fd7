export { AfterDestroyEstimate, beyondDevelopmentScale, CostEstimate, CostLine, CostOptions, CostUnit, DEFAULT_WORKSHOP_HOURS, estimateCost, ScaleEstimate, WorkshopShare } from "./estimate";
export { formatAmount, formatCost } from "./format";
export { AWS_PRICES, AwsPriceTable, HOURS_PER_MONTH, JETSTREAM2_SU } from "./prices";
