// What TypeScript callers of a typescript-fetch client generated from
// openapi/konstantly.yaml can rely on. `make check-spec` generates the client
// into .spec-build/ and type-checks this file against it, so a spec change
// that closes, loses or renames one of these types fails the check.
import {
  type Assignment,
  type AssignmentList,
  Configuration,
  type DeadlinePeriod,
  GroupsApi,
} from "./.spec-build/typescript-fetch/index";

// `measure` is an open enum: a unit that the spec does not list yet must
// type-check, or a client built today rejects what the API sends tomorrow.
export const unknownUnit: DeadlinePeriod = { measure: "years", value: 1 };
export const knownUnit: DeadlinePeriod = { measure: "months", value: 2 };

// ...and it must read back as a string: an empty object type would accept the
// assignments above but leave callers nothing to compare or print.
export const measureText: string = unknownUnit.measure;

// Both deadlines are optional and nullable, as the API leaves them out or
// sends null.
export function deadlineKinds(assignment: Assignment): string[] {
  const kinds: string[] = [];
  const deadlineAt: number | null | undefined = assignment.deadlineAt;
  const period: DeadlinePeriod | null | undefined = assignment.deadlinePeriod;

  if (deadlineAt != null && deadlineAt > 0) {
    kinds.push("absolute");
  }
  if (period != null) {
    kinds.push(`${period.value} ${period.measure}`);
  }
  return kinds;
}

// The one operation, authenticated by the X-API-KEY header, paged by offset.
export function listPage(
  apiKey: string,
  groupId: number,
  offset: number,
): Promise<AssignmentList> {
  const configuration = new Configuration({
    basePath: "https://example.konstant.ly/openapi/v1",
    apiKey,
  });
  return new GroupsApi(configuration).listGroupAssignments({ groupId, offset });
}
