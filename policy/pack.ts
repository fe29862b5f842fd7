/**
 * The CrossGuard side of the guardrails: each rule of policy/rules.ts as a resource policy.
 * `index.ts` serves these as the "esiphub" pack (test/policy/pack.test.ts talks to it as the engine does).
 */
import { PolicyConfigSchema, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { ResourceView, Rule, RULES, StackContext } from "./rules";

export const PACK_NAME = "esiphub";

/**
 * A policy pack cannot read the stack's configuration, so a rule that needs it takes it as policy configuration
 * under the same name, e.g. `{"nfs-data-volume-retained": {"keepDataOnDestroy": false}}` or
 * `{"hub-https": {"allowPlainHttp": true}}` in the file given to
 * `pulumi preview --policy-pack policy --policy-pack-config FILE`.
 */
export const STACK_CONTEXT_SCHEMA: PolicyConfigSchema = {
    properties: {
        keepDataOnDestroy: {
            type: "boolean",
            default: true,
            description: "Mirror of esiphub:keepDataOnDestroy: false allows `pulumi destroy` to delete the NFS data volume.",
        },
        allowPlainHttp: {
            type: "boolean",
            default: false,
            description: "Mirror of esiphub:allowPlainHttp: true allows a hub without HTTPS (development only).",
        },
    },
};

export function stackContextOf(args: Pick<ResourceValidationArgs, "getConfig">): StackContext {
    const config = args.getConfig<{ keepDataOnDestroy?: boolean; allowPlainHttp?: boolean }>();
    return { keepDataOnDestroy: config.keepDataOnDestroy ?? true, allowPlainHttp: config.allowPlainHttp ?? false };
}

/** What CrossGuard hands a resource policy, as the rules' neutral view (it sees `protect` but not `retainOnDelete`). */
export function viewOfResourceArgs(args: Pick<ResourceValidationArgs, "type" | "name" | "urn" | "props" | "opts">): ResourceView {
    return { type: args.type, name: args.name, urn: args.urn, props: args.props, protect: args.opts.protect, additionalSecretOutputs: args.opts.additionalSecretOutputs };
}

export function resourcePolicy(rule: Rule): ResourceValidationPolicy {
    return {
        name: rule.name,
        description: rule.description,
        enforcementLevel: rule.enforcement,
        ...(rule.usesStackContext ? { configSchema: STACK_CONTEXT_SCHEMA } : {}),
        validateResource: (args, reportViolation) => {
            const view = viewOfResourceArgs(args);
            const ctx = stackContextOf(args);
            const blind = rule.unobservable?.(view, ctx);
            if (blind) args.notApplicable(blind);
            for (const message of rule.check(view, ctx)) reportViolation(message);
        },
    };
}

export const POLICIES: ResourceValidationPolicy[] = RULES.map(resourcePolicy);
