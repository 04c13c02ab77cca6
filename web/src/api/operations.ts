// Every GraphQL operation the console sends. graphql-codegen checks each one
// against ../schema at build time and types its variables and result.
import { graphql } from '../gql';

export const CatalogueQuery = graphql(`
  query Catalogue {
    catalogue {
      classes { name service redundancyGroup }
      relationTypes { name propagation grouping }
    }
  }
`);

export const SearchCIsQuery = graphql(`
  query SearchCIs($search: String!, $first: Int) {
    cis(filter: { search: $search }, first: $first) {
      totalCount
      edges { node { id name class environment owner } }
    }
  }
`);

export const HealthQuery = graphql(`
  query Health {
    business: cis(filter: { class: "BusinessService" }, first: 500) {
      edges { node { id name class criticality owner } }
    }
    application: cis(filter: { class: "ApplicationService" }, first: 500) {
      edges { node { id name class criticality owner } }
    }
    slaAtRisk {
      service { id }
      sla { id name availabilityTarget period }
      status
      reasons
      attainment
      budgetMinutes
      budgetLeftMinutes
      changes {
        change { id title state type plannedStart plannedEnd }
        effect
        plannedDowntimeMinutes
      }
    }
    incidents(filter: { open: true }, first: 500) {
      edges {
        node { id title priority state openedAt affectedCiIds serviceIds }
      }
    }
  }
`);

export const ServiceImpactQuery = graphql(`
  query ServiceImpact($ciIds: [ID!]!) {
    blastRadius(ciIds: $ciIds) {
      sources { id }
      services { ci { id } effect distance path { id name } }
    }
  }
`);

export const BlastQuery = graphql(`
  query Blast($ciIds: [ID!]!, $maxDepth: Int, $types: [String!]) {
    blastRadius(ciIds: $ciIds, maxDepth: $maxDepth, types: $types) {
      totalCount
      sources { id name class }
      impacted {
        ci { id name class }
        distance
        effect
        path { id name }
      }
    }
  }
`);

export const RedundancyGroupQuery = graphql(`
  query RedundancyGroup($id: ID!, $types: [String!]) {
    ci(id: $id) {
      id
      name
      class
      attributes
      relations(direction: INCOMING, types: $types) { from { id name class status } }
    }
  }
`);

export const CIPageQuery = graphql(`
  query CIPage($id: ID!) {
    ci(id: $id) {
      id name class status criticality environment owner attributes createdAt updatedAt
      identifiers { kind value }
      provenance { field source scope since lastSeen }
      sightings { source scope firstSeen lastSeen missed stale }
      relations(direction: BOTH) {
        type fromId toId
        from { id name class }
        to { id name class }
      }
      history(first: 25) {
        edges { node { id at actor action subjectKind subjectId before after } }
      }
    }
    incidents(filter: { ciId: $id, open: true }, first: 100) {
      edges { node { id title priority state openedAt } }
    }
    changes(filter: { ciId: $id }, first: 100) {
      edges { node { id title type state plannedStart plannedEnd } }
    }
  }
`);

export const DependenciesQuery = graphql(`
  query Dependencies($id: ID!, $maxDepth: Int) {
    dependencies(ciId: $id, maxDepth: $maxDepth) {
      distance
      ci { id name class }
      path { id name }
    }
  }
`);

export const ChangesQuery = graphql(`
  query Changes($from: Time!, $to: Time!) {
    changes(filter: { from: $from, to: $to }, first: 500) {
      totalCount
      edges {
        node {
          id title type state plannedStart plannedEnd
          targets { id name }
          assessment { riskScore }
        }
      }
    }
    windows(from: $from, to: $to) {
      id name kind start end reason
      scope { id name }
    }
  }
`);

export const ChangeRiskQuery = graphql(`
  query ChangeRisk($id: ID!) {
    changeImpact(changeId: $id) {
      riskScore
      services { ci { id name } effect }
      collisions { id sharedCis { id name } }
      freezeViolations { id name }
    }
  }
`);

export const ChangeFields = graphql(`
  fragment ChangeFields on Change {
    id title description type state plannedStart plannedEnd actualStart actualEnd requestedAt outcome version
    targets { id name class }
    approvals { approver at decision comment }
    implementationNotes { at author text }
    assessment { at actor riskScore reasons }
    transitions { from to at actor note }
  }
`);

export const ChangePageQuery = graphql(`
  query ChangePage($id: ID!) {
    change(id: $id) { ...ChangeFields }
  }
`);

export const ChangeImpactQuery = graphql(`
  query ChangeImpact($id: ID!) {
    changeImpact(changeId: $id) {
      riskScore
      riskFactors { factor points detail }
      services { ci { id name class } effect distance }
      blastRadius { totalCount }
      collisions {
        id
        change { id title type state plannedStart plannedEnd }
        sharedCis { id name class }
      }
      freezeViolations { id name start end reason }
      slasAtRisk {
        sla { id name availabilityTarget }
        service { id name }
        expectedOutageMinutes
        budgetLeftMinutes
        atRisk
      }
    }
  }
`);

export const AssessChangeMutation = graphql(`
  mutation AssessChange($id: ID!) {
    assessChange(changeId: $id) { riskScore }
  }
`);

export const TransitionChangeMutation = graphql(`
  mutation TransitionChange($id: ID!, $state: ChangeState!, $outcome: ChangeOutcome, $note: String) {
    transitionChange(id: $id, state: $state, outcome: $outcome, note: $note) { ...ChangeFields }
  }
`);

export const ApproveChangeMutation = graphql(`
  mutation ApproveChange($id: ID!, $decision: Decision!, $comment: String) {
    approveChange(changeId: $id, decision: $decision, comment: $comment) { ...ChangeFields }
  }
`);

export const IncidentRow = graphql(`
  fragment IncidentRow on Incident {
    id title priority state openedAt impact urgency
    affectedCis { id name class }
    services { id name }
    sla {
      response { due remainingMinutes breached stopped paused targetMinutes sla { name } }
      resolution { due remainingMinutes breached stopped paused targetMinutes sla { name } }
    }
    problem { id title state knownError }
    major
    parent { id state }
  }
`);

// Read whole, a page after another (useAllPages): the table sorts by
// priority and time left, which the API does not order by.
export const IncidentsQuery = graphql(`
  query Incidents($open: Boolean, $first: Int, $after: String) {
    incidents(filter: { open: $open }, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { ...IncidentRow } }
    }
  }
`);

// The open groups correlation made, a page at a time: a major incident, its
// likely cause and suspected change, and the first of the incidents it
// groups with why each is there (the major incident's page pages them all).
export const IncidentGroupsQuery = graphql(`
  query IncidentGroups($first: Int, $after: String, $last: Int, $before: String, $children: Int) {
    incidentGroups(first: $first, after: $after, last: $last, before: $before) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges {
        node {
          id title priority state openedAt
          correlation { score cause { id name class } suspectedChange { id title state } }
          children(first: $children) {
            totalCount
            edges { node { id title priority state grouping { explanation } } }
          }
        }
      }
    }
  }
`);

// A major incident's grouped incidents, a page at a time, by opening time.
export const GroupChildrenQuery = graphql(`
  query GroupChildren($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
    incident(id: $id) {
      id
      children(first: $first, after: $after, last: $last, before: $before) {
        totalCount
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { node { id title priority state grouping { explanation } } }
      }
    }
  }
`);

export const RootCauseQuery = graphql(`
  query RootCause {
    rootCauseCandidates(first: 5) {
      ci { id name class }
      score
      explains { id title priority }
      evidenceItems { kind detail weight changeId problemId }
    }
    changes(filter: { states: [IMPLEMENTING, REVIEW, CLOSED] }, first: 200) {
      edges { node { id title } }
    }
    problems(first: 200) {
      edges { node { id title state knownError } }
    }
  }
`);

export const IncidentPageQuery = graphql(`
  query IncidentPage($id: ID!) {
    incident(id: $id) {
      ...IncidentRow
      description respondedAt resolvedAt closedAt outageStart outageEnd
      causedByChange { id title state }
      problem { id title state knownError workaround rootCauseCi { id name } }
      transitions { from to at actor note }
      parent { id title }
      grouping { explanation distance effect openedAfterMinutes pathCis { id name } }
      correlation {
        score onset windowMinutes updatedAt
        cause { id name class }
        suspectedChange { id title state }
        evidence { kind detail weight }
      }
      children(first: 0) { totalCount }
    }
    problems(first: 200) {
      edges { node { id title state } }
    }
  }
`);

export const CreateIncidentMutation = graphql(`
  mutation CreateIncident($input: CreateIncidentInput!) {
    createIncident(input: $input) { id }
  }
`);

export const TransitionIncidentMutation = graphql(`
  mutation TransitionIncident($id: ID!, $state: IncidentState!, $note: String) {
    transitionIncident(id: $id, state: $state, note: $note) { id state }
  }
`);

export const LinkProblemMutation = graphql(`
  mutation LinkProblem($problemId: ID!, $incidentId: ID!) {
    linkIncidentToProblem(problemId: $problemId, incidentId: $incidentId) { id }
  }
`);

export const CreateProblemMutation = graphql(`
  mutation CreateProblem($input: CreateProblemInput!) {
    createProblem(input: $input) { id title }
  }
`);

export const ImportRunsQuery = graphql(`
  query ImportRuns($first: Int) {
    importRuns(first: $first) {
      totalCount
      edges {
        node {
          id format source scope dryRun actor started finished outcome error
          counts { items created updated unchanged stale retired relationsCreated relationsRemoved problems }
        }
      }
    }
  }
`);

export const PlannedRef = graphql(`
  fragment PlannedRef on PlannedCIRef { id name class }
`);

export const ImportRunQuery = graphql(`
  query ImportRun($id: ID!) {
    importRun(id: $id) {
      id format source scope files dryRun actor started finished outcome error errorFile errorAt errorField
      counts { items links created updated unchanged stale retired relationsCreated relationsRemoved staleRelations problems }
      plan {
        complete seen unchanged staleRelations generation
        creates { id name class at }
        updates { id name class at changes { field old new } }
        newRelations { from { ...PlannedRef } type to { ...PlannedRef } }
        removedRelations { from { ...PlannedRef } type to { ...PlannedRef } }
        stale { id name class missed lastSeen seenElsewhere statusOwnedBy }
        retired { id name class missed lastSeen }
        problems { code at field message ciIds }
        impact { service { ...PlannedRef } gained { ...PlannedRef } lost { ...PlannedRef } }
      }
    }
  }
`);

export const LiveChangesQuery = graphql(`
  query LiveChanges {
    changes(filter: { states: [REQUESTED, ASSESSED, APPROVED, SCHEDULED, IMPLEMENTING] }, first: 200) {
      edges { node { id title plannedStart targetCiIds } }
    }
  }
`);

export const CreateChangeMutation = graphql(`
  mutation CreateChange($input: CreateChangeInput!) {
    createChange(input: $input) { id }
  }
`);

export const UpdateChangeMutation = graphql(`
  mutation UpdateChange($id: ID!, $input: UpdateChangeInput!) {
    updateChange(id: $id, input: $input) { ...ChangeFields }
  }
`);

export const MeQuery = graphql(`
  query Me {
    me { subject roles permissions authenticated }
  }
`);

export const ProblemRow = graphql(`
  fragment ProblemRow on Problem {
    id title state knownError rootCauseConfirmed createdAt updatedAt
    rootCauseCi { id name class }
    incidents { id title priority state }
  }
`);

// Read whole, a page after another (useAllPages), like the incidents: the
// table sorts by any column.
export const ProblemsQuery = graphql(`
  query Problems($states: [ProblemState!], $first: Int, $after: String) {
    problems(filter: { states: $states }, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { ...ProblemRow } }
    }
  }
`);

export const ProblemPageQuery = graphql(`
  query ProblemPage($id: ID!) {
    problem(id: $id) {
      ...ProblemRow
      description workaround version
      incidents { id title priority state openedAt services { id name } }
      transitions { from to at actor note }
    }
    incidents(filter: { open: true }, first: 200) {
      edges { node { id title priority problem { id } } }
    }
  }
`);

export const TransitionProblemMutation = graphql(`
  mutation TransitionProblem($id: ID!, $state: ProblemState!, $note: String) {
    transitionProblem(id: $id, state: $state, note: $note) { id state }
  }
`);

export const UpdateProblemMutation = graphql(`
  mutation UpdateProblem($id: ID!, $input: UpdateProblemInput!) {
    updateProblem(id: $id, input: $input) { id }
  }
`);

export const ReportPeriodFields = graphql(`
  fragment ReportPeriodFields on ReportPeriod {
    start end serviceMinutes elapsedServiceMinutes outageMinutes availability availabilityTarget
    errorBudgetMinutes errorBudgetUsedPercent availabilityMet failures slaBreaches mttaMinutes mttrMinutes mtbfMinutes
    compliance { priority responseMet responseMissed responseCompliance resolutionMet resolutionMissed resolutionCompliance }
    incidents { opened resolved byPriority { priority count } }
    problems { opened resolved knownErrors }
    changes { implemented failed causedIncidents failureRate }
  }
`);

export const PortfolioQuery = graphql(`
  query Portfolio($from: Time!, $to: Time!, $granularity: ReportGranularity) {
    serviceReports(from: $from, to: $to, granularity: $granularity) {
      service { id name class }
      sla { id name availabilityTarget }
      total {
        availability availabilityTarget availabilityMet errorBudgetUsedPercent outageMinutes slaBreaches mttaMinutes mttrMinutes
        incidents { opened }
        changes { implemented failureRate }
      }
    }
  }
`);

export const ServiceReportQuery = graphql(`
  query ServiceReport($serviceId: ID!, $from: Time!, $to: Time!, $granularity: ReportGranularity) {
    serviceReport(serviceId: $serviceId, from: $from, to: $to, granularity: $granularity) {
      service { id name class }
      sla { id name availabilityTarget }
      from to asOf granularity timeZone
      total { ...ReportPeriodFields }
      series { ...ReportPeriodFields }
      changesCausingIncidents { id title state outcome }
    }
  }
`);
