import Foundation
import Testing

@testable import Parquet

/// Files written by pyarrow 26 (parquet-cpp-arrow), kept as golden bytes so that `swift test`
/// alone covers the reader paths lake's own writer never produces: data page v2, RLE-encoded
/// booleans, PLAIN_DICTIONARY (format 1.0) and ConvertedType-only schemas. Made with
/// `pq.write_table(t, compression="zstd", data_page_version="2.0", row_group_size=16)` and
/// `pq.write_table(t, compression="none", version="1.0", row_group_size=16)` from the table
/// `PyarrowGolden.expected` describes.
enum PyarrowGolden {
    static let v2Zstd = decode("""
        UEFSMRUGFRQVFFwVIBUIFSAVBhUGFQASHBgBARgBABYIKAEBGAEAEREAAAAF3d0DAAAABRUKFQQVgAEVkgFMFSAVABIAACi1
        L/0gQAECAAAAAAAY/P//oA8AANjc//+APgAAWJ7//6CMAACYQP//APoAAJjD/v+ghgEAWCf+/4AyAgDYa/3/oP0CABiR/P8V
        BhUUFRRcFSAVABUgFRAVABUAEhwYBKD9AgAYBBiR/P8WACgEoP0CABgEGJH8/xERAAAABAUQMlR2mLrc/hUEFbABFcIBTBUW
        FQASAAAotS/9IFjBAgD7//////////sfSqnRAQAA+y/vfboCAAD7TzknjAQAAPtf3vt0BQAA+38opUYHAAD7j815LwgAAPuv
        FyMBCgAA+7+89+kKAAD73wahuwwAAPvvq3WkDQAAFQYVGhUaXBUgFQoVIBUQFQYVABIcGAj776t1pA0AABgI+/////////8W
        CigI+++rdaQNAAAYCPv/////////EREAAAAFbdsEBRAyVHaYCgAAFQQVaBV6TBUaFQASAAAotS/9IDShAQAAAAAAAACAPwAA
        wD8AAABAAAAgQAAAYEAAAIBAAACQQAAAoEAAAMBAAADQQAAA4EAAAPBAFQYVGhUaXBUgFQYVIBUQFQYVABIcGAQAAPBAGAQA
        AACAFgYoBAAA8EAYBAAAAIAREQAAAAW99wQFEDJUdpi6DAAVBBWgARVqTBUUFQASAAAotS/9IFBlAQDIAACAANA/AARAAODo
        P/D0+D8AAAAAAAD8PwgAIAvIFwycmQw0B8SBqx2gDRUGFRQVFFwVIBUAFSAVEBUAFQASHBgIAAAAAAAABEAYCAAAAAAAAACA
        FgAoCAAAAAAAAARAGAgAAAAAAAAAgBERAAAABAUQMhQ1FjcYORUEFTgVSkwVCBUAEgAAKLUv/SAc4QAAAAAAAAYAAADml6Xm
        nKwEAAAA8J+mhgIAAADDqRUGFRIVElwVIBUKFSAVEBUGFQASHDYKKATwn6aGGAAREQAAAAVt2wIF5LEkABUEFZwBFWxMFRoV
        ABIAACi1L/0gTm0BAOACAAAAAP8CAAAAAgMEBQYICQoLDA7/AgAAAA//CgQCQMABBgQcYEDAAZYyBxUGFRoVGlwVIBUGFSAV
        EBUGFQASHDYGKAIP/xgCAP8REQAAAAV93wQFEDJUdpi6DAAVBBWwARWUAUwVFhUAEgAAKLUv/SBYDQIAxAIAwK6Je0kGAIJE
        zcOG3EUL+4ZNCooI0ihJFDjLmFYM22WOX4TPoZOKe0kGAAkAQAa4AdoAMsANYAS0AWTsKl4VBhUaFRpcFSAVChUgFRAVBhUA
        EhwYCM+hk4p7SQYAGAgAwK6Je0kGABYKKAjPoZOKe0kGABgIAMCuiXtJBgAREQAAAAVt2wQFEDJUdpgKAAAVBhUQFRBcFRAV
        BBUQFQYVBBUAEhwYAQEYAQAWBCgBARgBABERAAAAA90CAAAAAwIVBBVAFVJMFRAVABIAACi1L/0gIAEBAADoAwAYl/v/oPEE
        ANh9+v+AGgYAWEX5/6BiBwCY7ff/FQYVChUKXBUQFQAVEBUQFQAVABIcGASgYgcAGASY7ff/FgAoBKBiBwAYBJjt9/8REQAA
        AAMDiMb6FQQVUBViTBUKFQASAAAotS/9IChBAQD7D/Yedg8AAPsfm/NeEAAA+z/lnDASAAD7T4pxGRMAAPtv1BrrFAAAFQYV
        DhUOXBUQFQYVEBUQFQQVABIcGAj7b9Qa6xQAABgI+w/2HnYPAAAWBigI+2/UGusUAAAYCPsP9h52DwAAEREAAAADtgMDiEYA
        FQQVMBVCTBUMFQASAAAotS/9IBjBAAAAAAhBAAAQQQAAGEEAACBBAAAwQQAAOEEVBhUOFQ5cFRAVBBUQFRAVBBUAEhwYBAAA
        OEEYBAAACEEWBCgEAAA4QRgEAAAIQRERAAAAA94DA4jGAhUEFVAVTEwVChUAEgAAKLUv/SAo7QAAiAAAQACAAAIEQAAAAAAA
        AAZABAAzU4CGAeIWYAEVBhUKFQpcFRAVABUQFRAVABUAEhwYCAAAAAAAAAZAGAgAAAAAAAAAgBYAKAgAAAAAAAAGQBgIAAAA
        AAAAAIAREQAAAAMDiLZwFQQVOBVKTBUIFQASAAAotS/9IBzhAAACAAAAw6kGAAAA5pel5pysAAAAAAQAAADwn6aGFQYVDBUM
        XBUQFQYVEBUQFQQVABIcNgYoBPCfpoYYABERAAAAA7YCAyQDFQQVVBVSTBUOFQASAAAotS/9ICoFAQCwAgAAABD/AgAAABES
        FBUW/wIAAAAX/wQEAkDAAZYyBxUGFQ4VDlwVEBUCFRAVEBUEFQASHDYCKAIX/xgCEP8REQAAAAP3AwOIxhoVBBVQFVZMFQoV
        ABIAACi1L/0gKBUBAMhRJrKKe0kGAJJowRTt31Uv79ezDYt7SQYAAwQCYICx4gUVBhUOFQ5cFRAVBhUQFRAVBBUAEhwYCNez
        DYt7SQYAGAhRJrKKe0kGABYGKAjXsw2Le0kGABgIUSayintJBgAREQAAAAO2AwOIRgAVBBmcNQAYBnNjaGVtYRUQABUAJQIY
        AWIAFQIlABgDaTMyABUEJQIYA2k2NAAVCCUCGANmMzIAFQolABgDZjY0ABUMJQIYAXMlAEwcAAAAFQwlAhgDYmluABUEJQIY
        AnRzJRRMjBEcLAAAAAAAFjAZLBmMJgAcFQAZFQYZGAFiFQwWIBZkFmQmCDwYAQEYAQAWCCgBARgBABERABkcFQAVBhUCADwp
        BhkmCBgAAAAmABwVAhk1AAYQGRgDaTMyFQwWIBacAhauAiaeAiZsHBgEoP0CABgEGJH8/xYAKASg/QIAGAQYkfz/EREAGSwV
        BBUAFQIAFQAVEBUCAAAAJgAcFQQZNQAGEBkYA2k2NBUMFiAW8gIWhAMm/AQmmgMcGAj776t1pA0AABgI+/////////8WCigI
        +++rdaQNAAAYCPv/////////EREAGSwVBBUAFQIAFQAVEBUCADwpBhkmChYAAAAmABwVCBk1AAYQGRgDZjMyFQwWIBaGAhaY
        Aia0ByaeBhwYBAAA8EAYBAAAAIAWBigEAADwQBgEAAAAgBERABksFQQVABUCABUAFRAVAgA8KQYZJgYaAAAAJgAcFQoZNQAG
        EBkYA2Y2NBUMFiAW2gIWpAImvgkmtggcGAgAAAAAAAAEQBgIAAAAAAAAAIAWACgIAAAAAAAABEAYCAAAAAAAAACAEREAGSwV
        BBUAFQIAFQAVEBUCAAAAJgAcFQwZNQAGEBkYAXMVDBYgFq4BFsABJsALJtoKHDYKKATwn6aGGAAREQAZLBUEFQAVAgAVABUQ
        FQIAPBZEGQYZJgoWAAAAJgAcFQwZNQAGEBkYA2JpbhUMFiAWnAIW7AEmpA0mmgwcNgYoAg//GAIA/xERABksFQQVABUCABUA
        FRAVAgA8FjQZBhkmBhoAAAAmABwVBBk1AAYQGRgCdHMVDBYgFvICFtYCJroPJoYOHBgIz6GTintJBgAYCADArol7SQYAFgoo
        CM+hk4p7SQYAGAgAwK6Je0kGABERABksFQQVABUCABUAFRAVAgA8KQYZJgoWAAAAFo4RFiAmCBbUEAAZjCYAHBUAGRUGGRgB
        YhUMFhAWYBZgJtwQPBgBARgBABYEKAEBGAEAEREAGRwVABUGFQIAPCkGGSYEDAAAACYAHBUCGTUABhAZGANpMzIVDBYQFs4B
        FuABJqoSJrwRHBgEoGIHABgEmO33/xYAKASgYgcAGASY7ff/EREAGSwVBBUAFQIAFQAVEBUCAAAAJgAcFQQZNQAGEBkYA2k2
        NBUMFhAWggIWlAImmhQmnBMcGAj7b9Qa6xQAABgI+w/2HnYPAAAWBigI+2/UGusUAAAYCPsP9h52DwAAEREAGSwVBBUAFQIA
        FQAVEBUCADwpBhkmBgoAAAAmABwVCBk1AAYQGRgDZjMyFQwWEBbCARbUASaOFiawFRwYBAAAOEEYBAAACEEWBCgEAAA4QRgE
        AAAIQRERABksFQQVABUCABUAFRAVAgA8KQYZJgQMAAAAJgAcFQoZNQAGEBkYA2Y2NBUMFhAW/gEW+gEm7BcmhBccGAgAAAAA
        AAAGQBgIAAAAAAAAAIAWACgIAAAAAAAABkAYCAAAAAAAAACAEREAGSwVBBUAFQIAFQAVEBUCAAAAJgAcFQwZNQAGEBkYAXMV
        DBYQFqgBFroBJuQZJv4YHDYGKATwn6aGGAAREQAZLBUEFQAVAgAVABUQFQIAPBYcGQYZJgYKAAAAJgAcFQwZNQAGEBkYA2Jp
        bhUMFhAWxgEWxAEmphsmuBocNgIoAhf/GAIQ/xERABksFQQVABUCABUAFRAVAgA8FhwZBhkmAg4AAAAmABwVBBk1AAYQGRgC
        dHMVDBYQFoICFogCJu4cJvwbHBgI17MNi3tJBgAYCFEmsop7SQYAFgYoCNezDYt7SQYAGAhRJrKKe0kGABERABksFQQVABUC
        ABUAFRAVAgA8KQYZJgYKAAAAFuAMFhAm3BAWqA0AKCBwYXJxdWV0LWNwcC1hcnJvdyB2ZXJzaW9uIDI2LjAuMRmMHAAAHAAA
        HAAAHAAAHAAAHAAAHAAAHAAAABEGAABQQVIx
        """)

    static let v1Uncompressed = decode("""
        UEFSMRUAFRIVEiwVIBUAFQYVBhwYAQEYAQAWCCgBARgBABERAAAAAwAAAAXd3RUKFQQVgAEVgAFMFSAVBBIAAAAAAAAY/P//
        oA8AANjc//+APgAAWJ7//6CMAACYQP//APoAAJjD/v+ghgEAWCf+/4AyAgDYa/3/oP0CABiR/P8VABUUFRQsFSAVBBUGFQYc
        GASg/QIAGAQYkfz/FgAoBKD9AgAYBBiR/P8REQAAAAQFEDJUdpi63P4VBBWwARWwAUwVFhUEEgAA+//////////7H0qp0QEA
        APsv7326AgAA+085J4wEAAD7X977dAUAAPt/KKVGBwAA+4/NeS8IAAD7rxcjAQoAAPu/vPfpCgAA+98GobsMAAD776t1pA0A
        ABUAFSIVIiwVIBUEFQYVBhwYCPvvq3WkDQAAGAj7/////////xYKKAj776t1pA0AABgI+/////////8REQAAAAMAAAAFbdsE
        BRAyVHaYCgAAFQQVaBVoTBUaFQQSAAAAAAAAAACAPwAAwD8AAABAAAAgQAAAYEAAAIBAAACQQAAAoEAAAMBAAADQQAAA4EAA
        APBAFQAVIhUiLBUgFQQVBhUGHBgEAADwQBgEAAAAgBYGKAQAAPBAGAQAAACAEREAAAADAAAABb33BAUQMlR2mLoMABUEFaAB
        FaABTBUUFQQSAAAAAAAAAAAAAAAAAAAAAACAAAAAAAAA0D8AAAAAAAAEQAAAAAAAAOA/AAAAAAAA6D8AAAAAAADwPwAAAAAA
        APQ/AAAAAAAA+D8AAAAAAAD8PxUAFRQVFCwVIBUEFQYVBhwYCAAAAAAAAARAGAgAAAAAAAAAgBYAKAgAAAAAAAAEQBgIAAAA
        AAAAAIAREQAAAAQFEDIUNRY3GDkVBBU4FThMFQgVBBIAAAAAAAAGAAAA5pel5pysBAAAAPCfpoYCAAAAw6kVABUaFRosFSAV
        BBUGFQYcNgooBPCfpoYYABERAAAAAwAAAAVt2wIF5LEkABUEFZwBFZwBTBUaFQQSAAACAAAAAP8CAAAAAv8CAAAAA/8CAAAA
        BP8CAAAABf8CAAAABv8CAAAACP8CAAAACf8CAAAACv8CAAAAC/8CAAAADP8CAAAADv8CAAAAD/8VABUiFSIsFSAVBBUGFQYc
        NgYoAg//GAIA/xERAAAAAwAAAAV93wQFEDJUdpi6DAAVBBWwARWwAUwVFhUEEgAAAMCuiXtJBgCCRM2Je0kGAMOG3Il7SQYA
        RQv7iXtJBgCGTQqKe0kGAAjSKIp7SQYASRQ4intJBgDLmFaKe0kGAAzbZYp7SQYAjl+EintJBgDPoZOKe0kGABUAFSIVIiwV
        IBUEFQYVBhwYCM+hk4p7SQYAGAgAwK6Je0kGABYKKAjPoZOKe0kGABgIAMCuiXtJBgAREQAAAAMAAAAFbdsEBRAyVHaYCgAA
        FQAVDhUOLBUQFQAVBhUGHBgBARgBABYEKAEBGAEAEREAAAACAAAAA90CFQQVQBVATBUQFQQSAAAA6AMAGJf7/6DxBADYffr/
        gBoGAFhF+f+gYgcAmO33/xUAFQoVCiwVEBUEFQYVBhwYBKBiBwAYBJjt9/8WACgEoGIHABgEmO33/xERAAAAAwOIxvoVBBVQ
        FVBMFQoVBBIAAPsP9h52DwAA+x+b814QAAD7P+WcMBIAAPtPinEZEwAA+2/UGusUAAAVABUWFRYsFRAVBBUGFQYcGAj7b9Qa
        6xQAABgI+w/2HnYPAAAWBigI+2/UGusUAAAYCPsP9h52DwAAEREAAAACAAAAA7YDA4hGABUEFTAVMEwVDBUEEgAAAAAIQQAA
        EEEAABhBAAAgQQAAMEEAADhBFQAVFhUWLBUQFQQVBhUGHBgEAAA4QRgEAAAIQRYEKAQAADhBGAQAAAhBEREAAAACAAAAA94D
        A4jGAhUEFVAVUEwVChUEEgAAAAAAAAAAAEAAAAAAAAAAgAAAAAAAAAJAAAAAAAAABEAAAAAAAAAGQBUAFQoVCiwVEBUEFQYV
        BhwYCAAAAAAAAAZAGAgAAAAAAAAAgBYAKAgAAAAAAAAGQBgIAAAAAAAAAIAREQAAAAMDiLZwFQQVOBU4TBUIFQQSAAACAAAA
        w6kGAAAA5pel5pysAAAAAAQAAADwn6aGFQAVFBUULBUQFQQVBhUGHDYGKATwn6aGGAAREQAAAAIAAAADtgIDJAMVBBVUFVRM
        FQ4VBBIAAAIAAAAQ/wIAAAAR/wIAAAAS/wIAAAAU/wIAAAAV/wIAAAAW/wIAAAAX/xUAFRYVFiwVEBUEFQYVBhw2AigCF/8Y
        AhD/EREAAAACAAAAA/cDA4jGGhUEFVAVUEwVChUEEgAAUSayintJBgCSaMGKe0kGABTt34p7SQYAVS/vintJBgDXsw2Le0kG
        ABUAFRYVFiwVEBUEFQYVBhwYCNezDYt7SQYAGAhRJrKKe0kGABYGKAjXsw2Le0kGABgIUSayintJBgAREQAAAAIAAAADtgMD
        iEYAFQIZnDUAGAZzY2hlbWEVEAAVACUCGAFiABUCJQAYA2kzMgAVBCUCGANpNjQAFQglAhgDZjMyABUKJQAYA2Y2NAAVDCUC
        GAFzJQBMHAAAABUMJQIYA2JpbgAVBCUCGAJ0cyUUTIwRHCwAAAAAABYwGSwZjCYAHBUAGSUGABkYAWIVABYgFlgWWCYIPBgB
        ARgBABYIKAEBGAEAEREAGRwVABUAFQIAPCkGGSYIGAAAACYAHBUCGSUEBhkYA2kzMhUAFiAWkgIWkgImgAImYBwYBKD9AgAY
        BBiR/P8WACgEoP0CABgEGJH8/xERABksFQQVBBUCABUAFQQVAgAAACYAHBUEGSUEBhkYA2k2NBUAFiAW8AIW8AImwgQm8gIc
        GAj776t1pA0AABgI+/////////8WCigI+++rdaQNAAAYCPv/////////EREAGSwVBBUEFQIAFQAVBBUCADwpBhkmChYAAAAm
        ABwVCBklBAYZGANmMzIVABYgFoQCFoQCJuYGJuIFHBgEAADwQBgEAAAAgBYGKAQAAPBAGAQAAACAEREAGSwVBBUEFQIAFQAV
        BBUCADwpBhkmBhoAAAAmABwVChklBAYZGANmNjQVABYgFtICFtICJqYJJuYHHBgIAAAAAAAABEAYCAAAAAAAAACAFgAoCAAA
        AAAAAARAGAgAAAAAAAAAgBERABksFQQVBBUCABUAFQQVAgAAACYAHBUMGSUEBhkYAXMVABYgFqwBFqwBJowLJrgKHDYKKATw
        n6aGGAAREQAZLBUEFQQVAgAVABUEFQIAPBZEGQYZJgoWAAAAJgAcFQwZJQQGGRgDYmluFQAWIBacAhacAiagDSbkCxw2BigC
        D/8YAgD/EREAGSwVBBUEFQIAFQAVBBUCADwWNBkGGSYGGgAAACYAHBUEGSUEBhkYAnRzFQAWIBbwAhbwAibQDyaADhwYCM+h
        k4p7SQYAGAgAwK6Je0kGABYKKAjPoZOKe0kGABgIAMCuiXtJBgAREQAZLBUEFQQVAgAVABUEFQIAPCkGGSYKFgAAABboEBYg
        JggW6BAAGYwmABwVABklBgAZGAFiFQAWEBZUFlQm8BA8GAEBGAEAFgQoAQEYAQAREQAZHBUAFQAVAgA8KQYZJgQMAAAAJgAc
        FQIZJQQGGRgDaTMyFQAWEBbEARbEASagEibEERwYBKBiBwAYBJjt9/8WACgEoGIHABgEmO33/xERABksFQQVBBUCABUAFQQV
        AgAAACYAHBUEGSUEBhkYA2k2NBUAFhAWgAIWgAIm9BMmiBMcGAj7b9Qa6xQAABgI+w/2HnYPAAAWBigI+2/UGusUAAAYCPsP
        9h52DwAAEREAGSwVBBUEFQIAFQAVBBUCADwpBhkmBgoAAAAmABwVCBklBAYZGANmMzIVABYQFsABFsABJtQVJogVHBgEAAA4
        QRgEAAAIQRYEKAQAADhBGAQAAAhBEREAGSwVBBUEFQIAFQAVBBUCADwpBhkmBAwAAAAmABwVChklBAYZGANmNjQVABYQFvQB
        FvQBJrQXJsgWHBgIAAAAAAAABkAYCAAAAAAAAACAFgAoCAAAAAAAAAZAGAgAAAAAAAAAgBERABksFQQVBBUCABUAFQQVAgAA
        ACYAHBUMGSUEBhkYAXMVABYQFqYBFqYBJpAZJrwYHDYGKATwn6aGGAAREQAZLBUEFQQVAgAVABUEFQIAPBYcGQYZJgYKAAAA
        JgAcFQwZJQQGGRgDYmluFQAWEBbEARbEASbSGibiGRw2AigCF/8YAhD/EREAGSwVBBUEFQIAFQAVBBUCADwWHBkGGSYCDgAA
        ACYAHBUEGSUEBhkYAnRzFQAWEBaAAhaAAiaSHCamGxwYCNezDYt7SQYAGAhRJrKKe0kGABYGKAjXsw2Le0kGABgIUSayintJ
        BgAREQAZLBUEFQQVAgAVABUEFQIAPCkGGSYGCgAAABa2DBYQJvAQFrYMACggcGFycXVldC1jcHAtYXJyb3cgdmVyc2lvbiAy
        Ni4wLjEZjBwAABwAABwAABwAABwAABwAABwAABwAAAAFBgAAUEFSMQ==
        """)

    static func decode(_ base64: String) -> [UInt8] {
        guard let data = Data(base64Encoded: base64, options: .ignoreUnknownCharacters) else {
            fatalError("golden file is not base64")
        }
        return Array(data)
    }

    static let rows = 24

    static let schema = Schema([
        Column("b", .boolean, nullable: true), Column("i32", .int32),
        Column("i64", .int64, nullable: true), Column("f32", .float, nullable: true),
        Column("f64", .double), .string("s", nullable: true),
        Column("bin", .byteArray, nullable: true), .timestamp("ts", nullable: true),
    ])

    /// The table pyarrow wrote, column by column.
    static let expected: [[Cell]] = (0..<schema.columns.count).map { c in
        (0..<rows).map { cell(column: c, row: $0) }
    }

    static func cell(column: Int, row i: Int) -> Cell {
        switch column {
        case 0: return i % 4 == 1 ? .null : .bool(i % 3 == 0)
        case 1: return .i32(Int32((i % 2 == 0 ? 1 : -1) * i * i * 1000))
        case 2: return i % 3 == 1 ? .null : .i64(Int64(i) * 1_000_000_000_000 - 5)
        case 3: return i % 5 == 1 ? .null : .float(Float(i) * 0.5)
        case 4:
            let odd: [Double] = [.nan, -0.0, .infinity, 2.5]
            return .double(i % 2 == 1 ? odd[i % 4] : Double(i) / 8)
        case 5: return i % 3 == 1 ? .null : .string(["", "é", "日本", "🦆"][i % 4])
        case 6: return i % 6 == 1 ? .null : .bytes([UInt8(i), 0xFF])
        default: return i % 3 == 1 ? .null : .i64(1_769_644_800_000_000 + Int64(i) * 1_000_001)
        }
    }
}

@Suite("Files written by pyarrow")
struct PyarrowGoldenTests {
    @Test(arguments: ["v2-zstd", "v1-uncompressed"])
    func readsPyarrowFile(name: String) throws {
        let dir = try TempDir()
        let path = dir.file(name + ".parquet")
        let bytes = name == "v2-zstd" ? PyarrowGolden.v2Zstd : PyarrowGolden.v1Uncompressed
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let reader = try ParquetReader(path: path)
        #expect(reader.schema == PyarrowGolden.schema)
        #expect(reader.metadata.rowGroups.map(\.rowCount) == [16, 8])
        #expect(reader.metadata.createdBy?.hasPrefix("parquet-cpp-arrow") == true)
        let table = try Table.read(path)
        for c in PyarrowGolden.expected.indices {
            #expect(table.columns[c] == PyarrowGolden.expected[c], "column \(PyarrowGolden.schema.columns[c].name)")
        }
        let codec: Codec = name == "v2-zstd" ? .zstd : .uncompressed
        for (g, range) in [0..<16, 16..<24].enumerated() {
            for c in PyarrowGolden.expected.indices {
                let chunk = reader.metadata.rowGroups[g].columns[c]
                #expect(chunk.codec == codec)
                let stored = try #require(chunk.statistics)
                #expect(StatCells(stored) == StatCells.bruteForce(PyarrowGolden.expected[c][range]),
                        "row group \(g) column \(PyarrowGolden.schema.columns[c].name)")
            }
        }
        // Booleans are RLE-encoded in v2 pages and PLAIN in v1; the rest use dictionaries.
        let encodings = reader.metadata.rowGroups[0].columns.map(\.encodings)
        if name == "v2-zstd" {
            #expect(encodings[0] == [.rle])
            #expect(encodings.dropFirst().allSatisfy { $0.contains(.rleDictionary) })
        } else {
            #expect(encodings.dropFirst().allSatisfy { $0.contains(.plainDictionary) })
        }
    }

    /// pyarrow writes an empty table as one row group of 0 rows whose chunks have no pages:
    /// data_page_offset 0, total_compressed_size 0. That is a valid, empty file.
    @Test func emptyRowGroupWithoutPages() throws {
        let dir = try TempDir()
        let path = dir.file("empty-group.parquet")
        let schema = Schema([Column("i", .int64, nullable: true), .string("s")])
        let chunks = schema.columns.map {
            ColumnChunkMetadata(
                type: $0.type, encodings: [.plain, .rle], path: [$0.name], codec: .zstd,
                valueCount: 0, uncompressedBytes: 0, compressedBytes: 0, dataPageOffset: 0,
                dictionaryPageOffset: nil, statistics: nil)
        }
        let metadata = FileMetadata(
            version: 2, schema: schema, rowCount: 0,
            rowGroups: [RowGroupMetadata(columns: chunks, rowCount: 0, uncompressedBytes: 0)],
            keyValues: [], createdBy: "parquet-cpp-arrow version 26.0.1")
        let magic = Array("PAR1".utf8)
        try Data(FuzzTests.replaceFooter(of: magic + [0, 0, 0, 0] + magic, with: metadata))
            .write(to: URL(fileURLWithPath: path))

        let reader = try ParquetReader(path: path)
        #expect(reader.rowCount == 0)
        #expect(reader.metadata.rowGroups.count == 1)
        #expect(try reader.readColumn(rowGroup: 0, column: 1).rowCount == 0)
        let data = try reader.readAll()
        #expect(data.map(\.rowCount) == [0, 0])
        #expect(data.map(\.column) == schema.columns)
    }
}
