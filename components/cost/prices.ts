/**
 * Prices the cost estimate uses. Kept in the repo (not fetched) so that an estimate is reproducible and
 * works offline; each table says where and when its figures are from. Update the figures and the date together.
 */

export interface AwsPriceTable {
    readonly region: string;
    /** When the figures were recorded (ISO date). */
    readonly date: string;
    readonly source: string;
    /** On-demand Linux $/hour by instance type. */
    readonly instanceHourly: Readonly<Record<string, number>>;
    /** EBS gp3 $/GB-month (baseline IOPS and throughput, which are free). */
    readonly gp3GbMonth: number;
    /** Public IPv4 address $/hour (charged for every public IPv4 address since 2024-02-01, attached or not). */
    readonly publicIpv4Hourly: number;
}

export const AWS_PRICES: AwsPriceTable = {
    region: "us-east-1",
    date: "2026-11-25",
    source: "AWS EC2 on-demand (Linux), EBS and VPC pricing pages, us-east-1",
    instanceHourly: {
        "t3.large": 0.0832,
        "m5.xlarge": 0.192,
        "m5.2xlarge": 0.384,
        "m5.4xlarge": 0.768,
        "r5.2xlarge": 0.504,
        "r5.4xlarge": 1.008,
    },
    gp3GbMonth: 0.08,
    publicIpv4Hourly: 0.005,
};

/** AWS bills GB-month storage over the hours of a month; 730 h = 8760 h / 12, AWS's own convention. */
export const HOURS_PER_MONTH = 730;

export const JETSTREAM2_SU = {
    /** https://docs.jetstream-cloud.org/general/allocations/ (service units) */
    source: "Jetstream2 allocations: 1 SU = 1 vCPU-hour; large-memory flavors are charged at 2 SU per vCPU-hour",
    suPerVcpuHour: 1,
} as const;
