package profiles

// homeSeparators: Windows takes both ~/ and ~\ for the home folder.
const homeSeparators = `/\`
