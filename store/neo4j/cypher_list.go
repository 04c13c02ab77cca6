package neo4j

import "strings"

// listFilter says which ListCIs filters are set. The query text depends only
// on these booleans; every value travels as a parameter.
type listFilter struct {
	class, status, environment, owner, search, identifier bool
	// backward pages back: the page below $beforeKey, read in descending
	// order (the caller puts it back in order).
	backward bool
}

// lastKey is above every sortKey (hex digits, a space, an id): the
// $beforeKey of a backward listing from the end.
const lastKey = "~"

// cypherListCIs builds the page query and the count query for a filter.
//
// The page is a keyset query: sortKey encodes (name, id) in Go's byte
// order, so "after the cursor" is sortKey > $afterKey ("" on the first
// page, below every key). Unfiltered, the planner answers it with a range
// seek on ci_sortkey in index order and stops after $limit entries; with
// filters it weighs that against the filter's own index. $limit is
// first+1: the extra row only tells whether there is a next page. Paging
// back is the same seek the other way: sortKey < $beforeKey, descending.
func cypherListCIs(f listFilter) (page, count string) {
	match := "MATCH (c:CI)"
	if f.identifier {
		// Start from the identifier index; a CI may hold the value under
		// several kinds, hence DISTINCT.
		match = "MATCH (:Identifier {value: $identifier})-[:identifies]->(c:CI)\nWITH DISTINCT c"
	}
	keyset, order := "c.sortKey > $afterKey", "c.sortKey"
	if f.backward {
		keyset, order = "c.sortKey < $beforeKey", "c.sortKey DESC"
	}
	return listingQueries(match, "c", []cypherFilter{
		{f.class, "c.class = $class"},
		{f.status, "c.status = $status"},
		{f.environment, "c.environment = $environment"},
		{f.owner, "c.owner = $owner"},
		{f.search, "c.nameLower CONTAINS $search"},
	}, keyset, order)
}

// cypherFilter is one optional WHERE condition of a listing.
type cypherFilter struct {
	on   bool
	cond string
}

// listingQueries builds a listing's count query and page query from its
// MATCH (binding the listed node to v) and the filters that are on; the
// page adds the keyset condition (if any), the order and LIMIT $limit.
func listingQueries(match, v string, filters []cypherFilter, keyset, order string) (page, count string) {
	var conds []string
	for _, f := range filters {
		if f.on {
			conds = append(conds, f.cond)
		}
	}
	count = match + where(conds) + "\nRETURN count(" + v + ") AS total"
	if keyset != "" {
		conds = append(conds, keyset)
	}
	page = match + where(conds) + "\nRETURN " + v + "\nORDER BY " + order + "\nLIMIT $limit"
	return page, count
}

func where(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return "\nWHERE " + strings.Join(conds, " AND ")
}
