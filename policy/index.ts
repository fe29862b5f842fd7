import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, POLICIES } from "./pack";

// `pulumi preview --policy-pack policy`: serves ESIPHub's guardrails to the Pulumi engine (description in PulumiPolicy.yaml).
new PolicyPack(PACK_NAME, { policies: POLICIES });
